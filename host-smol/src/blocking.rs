//! The host's blocking pool: smol's (the `blocking` crate), so protocol
//! code's blocking work shares the threads of `smol::unblock`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use baton_protocol::Error;
use baton_protocol::backend::HostState;
use baton_protocol::task::blocking::{BlockingJob, BlockingPool};

/// Runs protocol jobs with `blocking::unblock`, counting those not yet
/// started.
///
/// The `blocking` crate's pool is process-wide and never shuts down: a job
/// queued when the host stops still runs later. Only spawning is refused
/// once the host has stopped.
pub(crate) struct SmolPool {
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

impl BlockingPool for SmolPool {
    fn execute(&self, job: BlockingJob) -> Result<(), Error> {
        if self.state.handle().is_none() {
            drop(job);
            return Err(Error::Shutdown);
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
        let queued = Queued(Arc::clone(&self.queued));
        blocking::unblock(move || {
            drop(queued);
            job.run();
        })
        .detach();
        Ok(())
    }

    fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}
