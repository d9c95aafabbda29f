//! The host's blocking pool: a [`DefaultPool`] of its own, stopped with the
//! host, so that protocol code's blocking work ends with the smol executor
//! that ran it (jobs still queued then give `Cancelled`) and leaves no
//! thread behind.
//!
//! smol's own pool (the `blocking` crate) is process-wide: its threads
//! outlive every executor and it never cancels a queued job, so it cannot
//! give the protocol's shutdown semantics.

use std::time::Duration;

use baton_protocol::Error;
use baton_protocol::task::blocking::{BlockingJob, BlockingPool, DefaultPool};
use baton_reactor_kit::HostState;

/// The most threads a host's pool starts: baton-executor's default.
const MAX_THREADS: usize = 64;

/// How long an idle thread of the pool waits for a job.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// A smol host's blocking pool.
pub(crate) struct SmolPool {
    pool: DefaultPool,
}

impl SmolPool {
    pub(crate) fn new() -> SmolPool {
        SmolPool {
            pool: DefaultPool::new(MAX_THREADS, KEEP_ALIVE),
        }
    }
}

impl BlockingPool for SmolPool {
    fn execute(&self, job: BlockingJob) -> Result<(), Error> {
        self.pool.execute(job)
    }

    fn queued(&self) -> usize {
        self.pool.queued()
    }

    fn shutdown(&self) {
        self.pool.shutdown();
    }
}

/// Stops the host's blocking pool; called as the host stops.
pub(crate) fn stop(state: &HostState) {
    if let Some(handle) = state.handle()
        && let Some(pool) = handle.spawner().blocking_pool()
    {
        pool.shutdown();
    }
}
