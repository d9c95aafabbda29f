//! [`BlockingPool`]: how an executor lends its threads to blocking work.

use super::BlockingJob;
use crate::Error;

/// A set of threads that run [`BlockingJob`]s: what an executor (or a host)
/// provides through [`Spawn::blocking_pool`](crate::Spawn::blocking_pool),
/// and what [`spawn_blocking`](super::spawn_blocking) and everything built on
/// it ([`fs`](crate::fs), [`Unblock`](crate::unblock::Unblock),
/// [`lookup_host`](crate::net::lookup_host)) run on. Object safe.
///
/// A runtime that provides none gets the protocol's
/// [`DefaultPool`](super::DefaultPool).
///
/// # Implementation notes
///
/// - Each job is either [run](BlockingJob::run) once, on a thread that may
///   block, or dropped. The job reports its own outcome (value, panic, or
///   `Cancelled` when dropped unrun), so a pool needs no result plumbing,
///   and a pool that drops its queued jobs at shutdown gives their
///   handles [`Error::Cancelled`] with no further work.
/// - `run` never unwinds: panics are caught inside the job.
/// - The pool should be bounded: jobs wait in a queue when every thread is
///   busy, and [`queued`](BlockingPool::queued) says how many wait.
///
/// # Examples
///
/// See [`BlockingJob`] for a complete (if unbounded) pool.
pub trait BlockingPool: Send + Sync {
    /// Queues `job` to run on one of the pool's threads.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after the pool shut down; [`Error::Io`] if it
    /// could start no thread and has none running. The job has been dropped
    /// (so its handle gives `Cancelled`) in both cases.
    fn execute(&self, job: BlockingJob) -> Result<(), Error>;

    /// Jobs queued and not yet started: the pool's backlog, for metrics.
    fn queued(&self) -> usize;

    /// Stops the pool, for a runtime that shuts down: new jobs are refused
    /// with [`Error::Shutdown`], queued ones dropped (their handles give
    /// [`Error::Cancelled`]), and each thread exits after its current job.
    /// Does not wait for running jobs. Idempotent.
    ///
    /// The default does nothing: for a pool that is not the runtime's to
    /// stop (a process-wide one).
    fn shutdown(&self) {}
}
