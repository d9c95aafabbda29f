//! The `metrics` feature: an executor's [`Metrics`] through the `metrics`
//! facade crate, for whatever recorder and exporter the application
//! installed (Prometheus, StatsD, ...).

use std::convert::Infallible;
use std::time::Duration;

use baton_protocol::Error;
use metrics::{Label, SharedString, Unit};

use super::{Histogram, Metrics, MetricsReader};

const SPAWNED: &str = "baton_executor_spawned_tasks_total";
const POLLS: &str = "baton_executor_polls_total";
const STEALS: &str = "baton_executor_steals_total";
const PARKS: &str = "baton_executor_parks_total";
const TURNS: &str = "baton_executor_reactor_turns_total";
const SLOW_POLLS: &str = "baton_executor_slow_polls_total";
const WORKERS: &str = "baton_executor_workers";
const ALIVE: &str = "baton_executor_alive_tasks";
const GLOBAL_QUEUE: &str = "baton_executor_global_queue_depth";
const BLOCKING_THREADS: &str = "baton_executor_blocking_threads";
const BLOCKING_QUEUE: &str = "baton_executor_blocking_queue_depth";
const BUSY: &str = "baton_executor_worker_busy_ratio";
const POLL_DURATION: &str = "baton_executor_poll_duration_seconds";
const SCHEDULED_DELAY: &str = "baton_executor_scheduled_delay_seconds";
const PARK_DURATION: &str = "baton_executor_park_duration_seconds";

/// Publishes an executor's [`Metrics`] through the `metrics` facade (the
/// `metrics` feature), on each [`publish`](MetricsPublisher::publish) or
/// periodically from a task ([`run`](MetricsPublisher::run)).
///
/// What is published, under the names below (each with the labels given
/// by [`label`](MetricsPublisher::label)):
///
/// | name | kind | value |
/// |---|---|---|
/// | `baton_executor_spawned_tasks_total` | counter | [`Metrics::spawned`] |
/// | `baton_executor_polls_total` | counter | [`Metrics::polls`] |
/// | `baton_executor_steals_total` | counter | [`Metrics::steals`] |
/// | `baton_executor_parks_total` | counter | [`Metrics::parks`] |
/// | `baton_executor_reactor_turns_total` | counter | [`Metrics::reactor_turns`] |
/// | `baton_executor_slow_polls_total` | counter | [`Metrics::slow_polls`] |
/// | `baton_executor_workers` | gauge | [`Metrics::workers`] |
/// | `baton_executor_alive_tasks` | gauge | [`Metrics::alive_tasks`] |
/// | `baton_executor_global_queue_depth` | gauge | [`Metrics::global_queue_depth`] |
/// | `baton_executor_blocking_threads` | gauge | [`Metrics::blocking_threads`] |
/// | `baton_executor_blocking_queue_depth` | gauge | [`Metrics::blocking_queue_depth`] |
/// | `baton_executor_worker_busy_ratio` | gauge, label `worker` | each worker's busy ratio since the previous publish |
/// | `baton_executor_poll_duration_seconds` | histogram | [`Metrics::poll_duration`] |
/// | `baton_executor_scheduled_delay_seconds` | histogram | [`Metrics::scheduled_delay`] |
/// | `baton_executor_park_duration_seconds` | histogram | [`Metrics::park_duration`] |
///
/// Counters are set to the executor's totals (`Counter::absolute`).
/// Histograms receive the samples recorded since the previous publish,
/// each at the middle of its power-of-two bucket (within a factor of 1.5
/// of its true value), in seconds, with one `record_many` call per
/// non-empty bucket: a publish costs the same after a thousand polls or a
/// billion. With no recorder installed, the facade drops everything.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), baton_protocol::Error> {
/// use std::time::Duration;
/// use baton_executor::{MetricsPublisher, Runtime};
///
/// let rt = Runtime::builder()
///     .reactor(baton_reactor_epoll::EpollReactor::new()?)
///     .metrics_histograms(true)
///     .build()?;
/// let publisher = MetricsPublisher::new(rt.metrics_reader()).label("runtime", "main");
/// publisher.describe();
/// // Every second, for as long as the runtime runs.
/// let exporter = rt.spawn(publisher.run(Duration::from_secs(1)))?;
/// # drop(exporter);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct MetricsPublisher {
    reader: MetricsReader,
    labels: Vec<Label>,
    /// What the previous publish saw: where histogram deltas and busy
    /// ratios start.
    last: Metrics,
}

impl MetricsPublisher {
    /// A publisher of the metrics that `reader` reads.
    pub fn new(reader: MetricsReader) -> MetricsPublisher {
        MetricsPublisher {
            reader,
            labels: Vec::new(),
            last: Metrics::default(),
        }
    }

    /// Adds a label to every published metric (to tell several executors
    /// of one process apart, say).
    pub fn label(
        mut self,
        key: impl Into<SharedString>,
        value: impl Into<SharedString>,
    ) -> MetricsPublisher {
        self.labels.push(Label::new(key, value));
        self
    }

    /// Describes every metric (unit and help text) to the installed
    /// recorder; call it once, before publishing.
    pub fn describe(&self) {
        let counters = [
            (SPAWNED, "Tasks spawned, blocking jobs included."),
            (POLLS, "Task polls."),
            (STEALS, "Successful steals from another worker's queue."),
            (PARKS, "Times a worker went to sleep for want of work."),
            (TURNS, "Reactor turns taken."),
            (SLOW_POLLS, "Polls over the slow-poll threshold."),
        ];
        for (name, help) in counters {
            metrics::describe_counter!(name, Unit::Count, help);
        }
        let gauges = [
            (WORKERS, "Worker threads."),
            (ALIVE, "Tasks spawned and not yet freed."),
            (GLOBAL_QUEUE, "Tasks waiting in the global queue."),
            (BLOCKING_THREADS, "Threads in the blocking pool."),
            (BLOCKING_QUEUE, "Blocking jobs waiting for a pool thread."),
        ];
        for (name, help) in gauges {
            metrics::describe_gauge!(name, Unit::Count, help);
        }
        metrics::describe_gauge!(
            BUSY,
            "Share of the time since the previous publish the worker was awake (0 to 1)."
        );
        let histograms = [
            (POLL_DURATION, "How long task polls took."),
            (
                SCHEDULED_DELAY,
                "How long a woken task waited before a worker polled it.",
            ),
            (PARK_DURATION, "How long workers slept for want of work."),
        ];
        for (name, help) in histograms {
            metrics::describe_histogram!(name, Unit::Seconds, help);
        }
    }

    /// Reads the executor's metrics now and hands them to the facade.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// use baton_executor::{LocalExecutor, MetricsPublisher};
    /// use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    ///
    /// let ex = LocalExecutor::new(baton_reactor_epoll::EpollReactor::new()?);
    /// ex.block_on(ex.spawn(async {})?)??;
    /// let recorder = DebuggingRecorder::new();
    /// let snapshotter = recorder.snapshotter();
    /// let mut publisher = MetricsPublisher::new(ex.metrics_reader());
    /// metrics::with_local_recorder(&recorder, || publisher.publish());
    /// let polls = snapshotter.snapshot().into_vec().into_iter().find_map(|(key, _, _, value)| {
    ///     (key.key().name() == "baton_executor_polls_total").then_some(value)
    /// });
    /// assert_eq!(polls, Some(DebugValue::Counter(1)));
    /// # Ok(())
    /// # }
    /// ```
    pub fn publish(&mut self) {
        let now = self.reader.metrics();
        let labels = || self.labels.iter();
        let counters = [
            (SPAWNED, now.spawned),
            (POLLS, now.polls),
            (STEALS, now.steals),
            (PARKS, now.parks),
            (TURNS, now.reactor_turns),
            (SLOW_POLLS, now.slow_polls),
        ];
        for (name, value) in counters {
            metrics::counter!(name, labels()).absolute(value);
        }
        let gauges = [
            (WORKERS, now.workers),
            (ALIVE, now.alive_tasks),
            (GLOBAL_QUEUE, now.global_queue_depth),
            (BLOCKING_THREADS, now.blocking_threads),
            (BLOCKING_QUEUE, now.blocking_queue_depth),
        ];
        for (name, value) in gauges {
            metrics::gauge!(name, labels()).set(value as f64);
        }
        for worker in &now.per_worker {
            let ratio = match self.last.per_worker.get(worker.index) {
                Some(earlier) => worker.busy_ratio_since(earlier),
                None => worker.busy_ratio(),
            };
            let mut with_worker = self.labels.clone();
            with_worker.push(Label::new("worker", worker.index.to_string()));
            metrics::gauge!(BUSY, with_worker).set(ratio);
        }
        let histograms = [
            (POLL_DURATION, &now.poll_duration, &self.last.poll_duration),
            (
                SCHEDULED_DELAY,
                &now.scheduled_delay,
                &self.last.scheduled_delay,
            ),
            (PARK_DURATION, &now.park_duration, &self.last.park_duration),
        ];
        for (name, now, earlier) in histograms {
            record(metrics::histogram!(name, labels()), &now.since(earlier));
        }
        self.last = now;
    }

    /// Publishes every `every`, for ever: a future to spawn on any baton
    /// executor (it sleeps through the protocol's timers).
    ///
    /// # Errors
    ///
    /// Only ends with an error: [`Error::NoRuntime`] when polled outside a
    /// runtime, or the error of a sleep once the runtime's reactor shut
    /// down ([`Error::Shutdown`]).
    pub async fn run(mut self, every: Duration) -> Result<Infallible, Error> {
        loop {
            self.publish();
            baton_protocol::time::sleep(every).await?;
        }
    }
}

/// Records the samples of `delta` into `histogram`, at each bucket's
/// middle.
fn record(histogram: metrics::Histogram, delta: &Histogram) {
    for (middle, count) in delta.middles() {
        if count > 0 {
            let seconds = Duration::from_nanos(middle).as_secs_f64();
            histogram.record_many(seconds, usize::try_from(count).unwrap_or(usize::MAX));
        }
    }
}
