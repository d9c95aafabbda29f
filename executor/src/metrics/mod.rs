//! Executor metrics: counts and histograms that say what the executor has
//! been doing, as a snapshot any thread can read.
//!
//! # Snapshot first, the `metrics` facade on top
//!
//! Users of metrics-rs expect a library to call the facade
//! (`metrics::counter!`, `gauge!`, `histogram!`) and leave recording and
//! exporting to the application's recorder (Prometheus, StatsD, ...), and
//! they expect nothing to be recorded, at no cost, when no recorder is
//! installed. Recording every poll through the facade would cost a
//! recorder call per poll even then. So the executor keeps its own cheap,
//! fixed-bucket counters (a plain store per event, per worker), readable
//! at any time as a [`Metrics`] snapshot, always available, from the
//! executor or from a [`MetricsReader`] on any thread; and with the
//! `metrics` feature, a `MetricsPublisher` turns snapshots into facade
//! calls, when asked or periodically, which is all an exporter needs.
//!
//! # What costs what
//!
//! Counts, the park-duration histogram and the busy ratio are always kept:
//! they cost a store per poll, and two clock reads per sleep of a worker
//! (a sleep is a system call anyway). The poll-duration and
//! scheduled-to-run histograms need two clock reads per poll and one per
//! wake, and a task record of their own per task (one more allocation per
//! spawn): they are off unless the executor is built with
//! [`Builder::metrics_histograms`](crate::Builder::metrics_histograms) (or
//! [`LocalBuilder::metrics_histograms`](crate::LocalBuilder::metrics_histograms)).
//! A slow-poll threshold
//! ([`Builder::slow_poll_threshold`](crate::Builder::slow_poll_threshold))
//! also times every poll.

mod histogram;
#[cfg(feature = "metrics")]
mod publish;
mod worker;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use histogram::{Bucket, Histogram};
#[cfg(feature = "metrics")]
pub use publish::MetricsPublisher;
pub(crate) use worker::{Observe, WorkerCounters, now_nanos};

/// A snapshot of an executor's counters and histograms; see
/// [`Runtime::metrics`](crate::Runtime::metrics),
/// [`LocalExecutor::metrics`](crate::LocalExecutor::metrics) and
/// [`MetricsReader`].
///
/// Counters are read without stopping the workers, so the fields of one
/// snapshot may be a few events apart; a poll is timed (and counted as
/// slow) when it returns, which may be just after its task's output
/// reached a waiter on another thread. Counts only grow: take two
/// snapshots to look at a window
/// ([`Histogram::since`], [`WorkerMetrics::busy_ratio_since`]).
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), baton_protocol::Error> {
/// use std::time::Duration;
/// use baton_executor::Runtime;
///
/// let reactor = baton_reactor_epoll::EpollReactor::new()?;
/// let rt = Runtime::builder()
///     .reactor(reactor)
///     .workers(2)
///     .metrics_histograms(true)
///     .build()?;
/// rt.block_on(async {
///     let mut tasks = Vec::new();
///     for _ in 0..100 {
///         tasks.push(baton_protocol::spawn(baton_protocol::task::yield_now())?);
///     }
///     for task in tasks {
///         task.await?;
///     }
///     baton_protocol::time::sleep(Duration::from_millis(1)).await
/// })??;
/// let m = rt.metrics();
/// // 200 polls; a worker records a poll as it returns, so the last poll
/// // of each worker may not be in yet.
/// assert!(m.polls >= 200 && m.poll_duration.count() >= 198);
/// // How long woken tasks waited for a worker, at worst (to a factor of 2).
/// let _ = m.scheduled_delay.quantile(1.0);
/// for worker in &m.per_worker {
///     assert!((0.0..=1.0).contains(&worker.busy_ratio()));
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Worker threads (1 for the local executor).
    pub workers: usize,
    /// Tasks spawned and not yet freed: running, queued, waiting, or
    /// finished while their [`JoinHandle`](crate::JoinHandle) (or an output
    /// nobody took) is still alive. Blocking jobs included.
    pub alive_tasks: usize,
    /// Tasks spawned so far (blocking jobs included).
    pub spawned: u64,
    /// Task polls so far.
    pub polls: u64,
    /// Successful steals from another worker's queue.
    pub steals: u64,
    /// Times a worker went to sleep for want of work.
    pub parks: u64,
    /// Tasks waiting in the global (injection) queue now.
    pub global_queue_depth: usize,
    /// Reactor turns taken ([`Reactor::park`](baton_protocol::Reactor::park)
    /// calls, blocking or not).
    pub reactor_turns: u64,
    /// Threads in the blocking pool now.
    pub blocking_threads: usize,
    /// Blocking jobs waiting for a pool thread now.
    pub blocking_queue_depth: usize,
    /// Polls that took at least the slow-poll threshold
    /// ([`Builder::slow_poll_threshold`](crate::Builder::slow_poll_threshold));
    /// 0 without one.
    pub slow_polls: u64,
    /// How long task polls took, every worker together. Empty unless the
    /// executor was built with
    /// [`metrics_histograms(true)`](crate::Builder::metrics_histograms).
    pub poll_duration: Histogram,
    /// How long a woken (or newly spawned) task waited before a worker
    /// polled it. Empty unless the executor was built with
    /// [`metrics_histograms(true)`](crate::Builder::metrics_histograms).
    pub scheduled_delay: Histogram,
    /// How long workers slept when they had nothing to run. Always kept.
    pub park_duration: Histogram,
    /// Each worker's own figures, by index.
    pub per_worker: Vec<WorkerMetrics>,
}

/// One worker's figures in a [`Metrics`] snapshot (the local executor's
/// thread counts as worker 0).
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), baton_protocol::Error> {
/// use std::time::Duration;
/// use baton_executor::LocalExecutor;
///
/// let ex = LocalExecutor::new(baton_reactor_epoll::EpollReactor::new()?);
/// let before = ex.metrics();
/// ex.block_on(baton_protocol::time::sleep(Duration::from_millis(5)))??;
/// let after = ex.metrics();
/// let worker = &after.per_worker[0];
/// // Asleep in the reactor while the timer ran.
/// assert!(worker.parked > Duration::ZERO);
/// assert!(worker.busy_ratio_since(&before.per_worker[0]) < 1.0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// The worker's index (a [`Runtime`](crate::Runtime)'s worker thread is
    /// named `{thread_name}-{index}`).
    pub index: usize,
    /// Task polls by this worker.
    pub polls: u64,
    /// Successful steals by this worker.
    pub steals: u64,
    /// Times this worker went to sleep for want of work.
    pub parks: u64,
    /// Polls by this worker that took at least the slow-poll threshold.
    pub slow_polls: u64,
    /// How long the worker has been running its loop: since its thread
    /// started for a [`Runtime`](crate::Runtime)'s worker, inside
    /// `block_on` for the [`LocalExecutor`](crate::LocalExecutor).
    pub active: Duration,
    /// How much of `active` it spent asleep, waiting for work.
    pub parked: Duration,
    /// This worker's poll durations (see [`Metrics::poll_duration`]).
    pub poll_duration: Histogram,
    /// This worker's scheduled-to-run delays (see
    /// [`Metrics::scheduled_delay`]).
    pub scheduled_delay: Histogram,
    /// This worker's sleeps.
    pub park_duration: Histogram,
}

impl WorkerMetrics {
    /// Time spent awake while active: running tasks, driving the reactor
    /// without blocking, looking for work.
    pub fn busy(&self) -> Duration {
        self.active.saturating_sub(self.parked)
    }

    /// The share of its active time the worker was busy, from 0.0 (always
    /// asleep, or never active) to 1.0 (never slept), since it started.
    pub fn busy_ratio(&self) -> f64 {
        ratio(self.busy(), self.active)
    }

    /// The busy ratio over the window since `earlier`, an older snapshot
    /// of the same worker.
    pub fn busy_ratio_since(&self, earlier: &WorkerMetrics) -> f64 {
        ratio(
            self.busy().saturating_sub(earlier.busy()),
            self.active.saturating_sub(earlier.active),
        )
    }
}

fn ratio(part: Duration, whole: Duration) -> f64 {
    if whole.is_zero() {
        0.0
    } else {
        (part.as_secs_f64() / whole.as_secs_f64()).clamp(0.0, 1.0)
    }
}

/// Whatever can produce a [`Metrics`] snapshot of an executor.
pub(crate) trait Source: Send + Sync + 'static {
    fn metrics(&self) -> Metrics;
}

/// Reads an executor's [`Metrics`] from any thread, without the executor:
/// what an exporter or a monitoring task holds. Cheap to clone.
///
/// After its executor is dropped, a reader keeps returning the last
/// figures.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), baton_protocol::Error> {
/// use baton_executor::Runtime;
///
/// let rt = Runtime::builder()
///     .reactor(baton_reactor_epoll::EpollReactor::new()?)
///     .workers(1)
///     .build()?;
/// let reader = rt.metrics_reader();
/// let watcher = std::thread::spawn(move || reader.metrics().workers);
/// assert_eq!(watcher.join().unwrap(), 1);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct MetricsReader {
    source: Arc<dyn Source>,
}

impl MetricsReader {
    pub(crate) fn new(source: Arc<dyn Source>) -> MetricsReader {
        MetricsReader { source }
    }

    /// A snapshot of the executor's figures now.
    pub fn metrics(&self) -> Metrics {
        self.source.metrics()
    }
}

impl fmt::Debug for MetricsReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsReader").finish_non_exhaustive()
    }
}
