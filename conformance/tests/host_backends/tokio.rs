//! tokio as the suite drives it: a runtime with a `TokioHost` started in it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use baton_conformance::Executor;
use baton_host_tokio::TokioHost;
use baton_protocol::{Error, Handle, Reactor};
use tokio::runtime::{Builder, Runtime};

/// How long a conformance shutdown may wait for a task stuck in its poll.
const SHUTDOWN: Duration = Duration::from_secs(10);

/// A tokio runtime (current-thread, or multi-thread) hosting the protocol.
pub(crate) struct Tokio(Arc<Inner>);

struct Inner {
    /// `None` once shut down.
    rt: Mutex<Option<Runtime>>,
    /// For a multi-thread runtime: `block_on` through the handle, so
    /// several threads may call it at once and `shutdown` need not wait
    /// for them.
    rt_handle: Option<tokio::runtime::Handle>,
    host: TokioHost,
}

/// Builds a tokio runtime with `workers` workers (current-thread for
/// `None`) and a host over `reactor` in it.
pub(crate) fn tokio(reactor: Arc<dyn Reactor>, workers: Option<usize>) -> Result<Tokio, Error> {
    let rt = match workers {
        None => Builder::new_current_thread().enable_all().build(),
        Some(n) => Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    }
    .map_err(Error::Io)?;
    let host = TokioHost::start_on(rt.handle(), reactor)?;
    let rt_handle = workers.map(|_| rt.handle().clone());
    Ok(Tokio(Arc::new(Inner {
        rt: Mutex::new(Some(rt)),
        rt_handle,
        host,
    })))
}

/// Refuses a call made from inside one of the runtime's tasks.
fn outside_tasks() -> Result<(), Error> {
    match tokio::runtime::Handle::try_current() {
        Ok(_) => Err(Error::InvalidState(
            "called from inside a task of the runtime",
        )),
        Err(_) => Ok(()),
    }
}

impl Executor for Tokio {
    fn handle(&self) -> Handle {
        self.0.host.handle().clone()
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) -> Result<(), Error> {
        outside_tasks()?;
        if let Some(rt) = &self.0.rt_handle {
            if self
                .0
                .rt
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_none()
            {
                return Err(Error::Shutdown);
            }
            rt.block_on(self.0.host.run(future));
            return Ok(());
        }
        let rt = self.0.rt.lock().unwrap_or_else(PoisonError::into_inner);
        let rt = rt.as_ref().ok_or(Error::Shutdown)?;
        self.0.host.block_on(rt, future);
        Ok(())
    }

    fn shutdown(&self) -> Result<(), Error> {
        outside_tasks()?;
        let rt = self
            .0
            .rt
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // The host first: its poll gate closes, so tokio's shutdown (whose
        // workers may still poll tasks they picked while it drops others)
        // polls no protocol future.
        self.0.host.stop();
        if let Some(rt) = rt {
            rt.shutdown_timeout(SHUTDOWN);
        }
        Ok(())
    }

    fn shared(&self) -> Option<Arc<dyn Executor + Send + Sync>> {
        self.0
            .rt_handle
            .is_some()
            .then(|| Arc::new(Tokio(Arc::clone(&self.0))) as Arc<dyn Executor + Send + Sync>)
    }
}
