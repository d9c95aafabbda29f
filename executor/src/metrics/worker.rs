//! The counters of one worker (the local executor's thread counts as one),
//! and the two places that feed them: the run site of every task poll and
//! every sleep of the worker.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::histogram::AtomicHistogram;
use super::{Metrics, WorkerMetrics};
use crate::task::Runnable;
use crate::trace;

/// What an executor measures beyond its counts, fixed when it is built.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Observe {
    /// Poll-duration and scheduled-to-run histograms: a clock read before
    /// and after every poll, and one at every wake.
    pub(crate) histograms: bool,
    /// Polls at least this long are counted, and reported with the
    /// `tracing` feature.
    pub(crate) slow_poll: Option<Duration>,
}

impl Observe {
    /// Whether polls are timed at all.
    fn times_polls(self) -> bool {
        self.histograms || self.slow_poll.is_some()
    }
}

/// Nanoseconds since a process-wide epoch (never 0, so that 0 can mean
/// "unset"): one clock for every executor, so a task's wake stamp means
/// the same on every thread.
pub(crate) fn now_nanos() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Counters written by one thread and read by any: increments are a plain
/// load and store, with no read-modify-write on the hot path.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct WorkerCounters {
    index: usize,
    observe: Observe,
    polls: AtomicU64,
    steals: AtomicU64,
    parks: AtomicU64,
    slow_polls: AtomicU64,
    /// When the worker's current active stretch began ([`now_nanos`]); 0
    /// while it is not active.
    active_since: AtomicU64,
    /// Active time of the stretches that ended, in nanoseconds.
    active_nanos: AtomicU64,
    /// When the worker's current sleep began; 0 while it is awake.
    parked_since: AtomicU64,
    /// Time asleep in the sleeps that ended, in nanoseconds.
    parked_nanos: AtomicU64,
    poll_duration: AtomicHistogram,
    scheduled_delay: AtomicHistogram,
    park_duration: AtomicHistogram,
}

fn bump(counter: &AtomicU64) {
    add(counter, 1);
}

fn add(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

impl WorkerCounters {
    pub(crate) fn new(index: usize, observe: Observe) -> WorkerCounters {
        WorkerCounters {
            index,
            observe,
            polls: AtomicU64::new(0),
            steals: AtomicU64::new(0),
            parks: AtomicU64::new(0),
            slow_polls: AtomicU64::new(0),
            active_since: AtomicU64::new(0),
            active_nanos: AtomicU64::new(0),
            parked_since: AtomicU64::new(0),
            parked_nanos: AtomicU64::new(0),
            poll_duration: AtomicHistogram::new(),
            scheduled_delay: AtomicHistogram::new(),
            park_duration: AtomicHistogram::new(),
        }
    }

    /// Polls `task`: the run site of every task of both executors. Counts
    /// the poll and, as the executor was built to, times it and traces it.
    #[inline]
    pub(crate) fn run(&self, task: Runnable) {
        bump(&self.polls);
        if self.observe.times_polls() {
            self.run_timed(task);
        } else {
            trace::run(task);
        }
    }

    #[inline(never)]
    fn run_timed(&self, task: Runnable) {
        let info = task.metadata();
        // Read before the poll: a task that finishes may be freed by it.
        let woken_at = info.scheduled_at();
        let slow = self
            .observe
            .slow_poll
            .map(|threshold| (threshold, info.id, info.location(), info.name().cloned()));
        let start = now_nanos();
        if let Some(at) = woken_at {
            let delay = start.saturating_sub(at);
            self.scheduled_delay.record(Duration::from_nanos(delay));
        }
        trace::run(task);
        let elapsed = Duration::from_nanos(now_nanos().saturating_sub(start));
        if self.observe.histograms {
            self.poll_duration.record(elapsed);
        }
        if let Some((threshold, id, location, name)) = slow
            && elapsed >= threshold
        {
            bump(&self.slow_polls);
            trace::slow_poll(id, name.as_deref(), location, elapsed, threshold);
        }
    }

    pub(crate) fn steal(&self) {
        bump(&self.steals);
    }

    /// Counts a decision to sleep for want of work (one per idle period,
    /// however many sleeps it takes).
    pub(crate) fn park(&self) {
        bump(&self.parks);
    }

    /// Runs `sleep`, one sleep of the worker, timing it for the
    /// park-duration histogram and the busy ratio.
    pub(crate) fn sleep<R>(&self, sleep: impl FnOnce() -> R) -> R {
        trace::parking(self.index);
        let start = now_nanos();
        self.parked_since.store(start, Ordering::Relaxed);
        let result = sleep();
        let slept = now_nanos().saturating_sub(start);
        self.parked_since.store(0, Ordering::Relaxed);
        add(&self.parked_nanos, slept);
        let slept = Duration::from_nanos(slept);
        self.park_duration.record(slept);
        trace::unparked(self.index, slept);
        result
    }

    /// Marks the worker active (running its loop) until the guard drops:
    /// from thread start to exit for a runtime's worker, for the length of
    /// each `block_on` for the local executor.
    pub(crate) fn active(&self) -> Active<'_> {
        self.active_since.store(now_nanos(), Ordering::Relaxed);
        Active { counters: self }
    }

    /// This worker's figures.
    pub(crate) fn snapshot(&self) -> WorkerMetrics {
        let now = now_nanos();
        let ongoing = |since: &AtomicU64| match since.load(Ordering::Relaxed) {
            0 => 0,
            since => now.saturating_sub(since),
        };
        let active = self.active_nanos.load(Ordering::Relaxed) + ongoing(&self.active_since);
        let parked = self.parked_nanos.load(Ordering::Relaxed) + ongoing(&self.parked_since);
        WorkerMetrics {
            index: self.index,
            polls: self.polls.load(Ordering::Relaxed),
            steals: self.steals.load(Ordering::Relaxed),
            parks: self.parks.load(Ordering::Relaxed),
            slow_polls: self.slow_polls.load(Ordering::Relaxed),
            active: Duration::from_nanos(active),
            // Read a few events apart, the two may disagree by the length
            // of one sleep: never more parked than active.
            parked: Duration::from_nanos(parked.min(active)),
            poll_duration: self.poll_duration.snapshot(),
            scheduled_delay: self.scheduled_delay.snapshot(),
            park_duration: self.park_duration.snapshot(),
        }
    }

    /// Adds this worker's figures to `metrics`.
    pub(crate) fn add_to(&self, metrics: &mut Metrics) {
        let worker = self.snapshot();
        metrics.polls += worker.polls;
        metrics.steals += worker.steals;
        metrics.parks += worker.parks;
        metrics.slow_polls += worker.slow_polls;
        metrics.poll_duration.merge(&worker.poll_duration);
        metrics.scheduled_delay.merge(&worker.scheduled_delay);
        metrics.park_duration.merge(&worker.park_duration);
        metrics.per_worker.push(worker);
    }
}

/// A worker's active stretch; see [`WorkerCounters::active`].
pub(crate) struct Active<'a> {
    counters: &'a WorkerCounters,
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        let c = self.counters;
        let since = c.active_since.swap(0, Ordering::Relaxed);
        if since != 0 {
            add(&c.active_nanos, now_nanos().saturating_sub(since));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn sleeps_count_as_parked_time_within_active_time() {
        let c = WorkerCounters::new(3, Observe::default());
        let active = c.active();
        c.park();
        c.sleep(|| std::thread::sleep(Duration::from_millis(2)));
        drop(active);
        let w = c.snapshot();
        assert_eq!((w.index, w.parks), (3, 1));
        assert_eq!(w.park_duration.count(), 1);
        assert!(w.parked >= Duration::from_millis(2), "{w:?}");
        assert!(w.active >= w.parked, "{w:?}");
        assert!((0.0..=1.0).contains(&w.busy_ratio()), "{w:?}");
    }

    #[test]
    fn an_inactive_worker_is_never_busy() {
        let c = WorkerCounters::new(0, Observe::default());
        let w = c.snapshot();
        assert_eq!((w.active, w.busy()), (Duration::ZERO, Duration::ZERO));
        assert_eq!(w.busy_ratio(), 0.0);
    }
}
