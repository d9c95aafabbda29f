//! The host's blocking pool: tokio's own (`spawn_blocking`), so protocol
//! code's blocking work shares tokio's threads, limits and shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use baton_protocol::Error;
use baton_protocol::task::blocking::{BlockingJob, BlockingPool};
use baton_reactor_kit::HostState;

/// Runs protocol jobs with tokio's `spawn_blocking`, counting those not yet
/// started (tokio's own queue depth is an unstable metric).
///
/// tokio drops the jobs it never started when its runtime shuts down; a
/// dropped job reports `Cancelled` to its handle.
pub(crate) struct TokioPool {
    pub(crate) rt: tokio::runtime::Handle,
    pub(crate) state: Arc<HostState>,
    pub(crate) queued: Arc<AtomicUsize>,
}

/// Counts one queued job until it starts or is dropped.
struct Queued(Arc<AtomicUsize>);

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl BlockingPool for TokioPool {
    fn execute(&self, job: BlockingJob) -> Result<(), Error> {
        if self.state.handle().is_none() {
            drop(job);
            return Err(Error::Shutdown);
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
        let queued = Queued(Arc::clone(&self.queued));
        drop(self.rt.spawn_blocking(move || {
            drop(queued);
            job.run();
        }));
        Ok(())
    }

    fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}
