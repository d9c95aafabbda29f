//! Executor metrics: counts that say what the executor has been doing.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of an executor's counters; see
/// [`Runtime::metrics`](crate::Runtime::metrics) and
/// [`LocalExecutor::metrics`](crate::LocalExecutor::metrics).
///
/// Counters are read without stopping the workers, so the fields of one
/// snapshot may be a few events apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
    /// Blocking jobs queued and not yet started (every pool thread busy):
    /// the pool's backlog. Portable code's jobs
    /// (`baton_protocol::task::spawn_blocking`, `fs`, name lookups)
    /// included.
    pub blocking_queue_depth: usize,
}

/// Counters written by one thread and read by any: increments are a plain
/// load and store, with no read-modify-write on the hot path.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct WorkerCounters {
    polls: AtomicU64,
    steals: AtomicU64,
    parks: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

impl WorkerCounters {
    pub(crate) fn poll(&self) {
        bump(&self.polls);
    }

    pub(crate) fn steal(&self) {
        bump(&self.steals);
    }

    pub(crate) fn park(&self) {
        bump(&self.parks);
    }

    /// Adds this worker's counts to `metrics`.
    pub(crate) fn add_to(&self, metrics: &mut Metrics) {
        metrics.polls += self.polls.load(Ordering::Relaxed);
        metrics.steals += self.steals.load(Ordering::Relaxed);
        metrics.parks += self.parks.load(Ordering::Relaxed);
    }
}
