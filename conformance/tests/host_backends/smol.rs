//! smol as the suite drives it: an async-executor `Executor` run by the
//! `block_on` thread alone (smol-local), or by 4 worker threads too
//! (smol-mt4), with a `SmolHost` started on it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use async_executor::Executor;
use baton_conformance::Executor as SuiteExecutor;
use baton_host_smol::SmolHost;
use baton_protocol::{Error, Handle, Reactor};

/// A smol executor hosting the protocol.
pub(crate) struct Smol(Arc<Inner>);

struct Inner {
    /// `None` once shut down.
    executor: Mutex<Option<Arc<Executor<'static>>>>,
    /// Closed to stop the workers.
    stop: Mutex<Option<async_channel::Sender<()>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    host: SmolHost,
}

/// Builds an executor run by `workers` threads besides `block_on`'s, and a
/// host over `reactor` on it.
pub(crate) fn smol(reactor: Arc<dyn Reactor>, workers: usize) -> Result<Smol, Error> {
    let executor = Arc::new(Executor::new());
    let host = SmolHost::start(&executor, reactor)?;
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let mut threads = Vec::new();
    for i in 0..workers {
        let executor = Arc::clone(&executor);
        let stopped = stopped.clone();
        let host = host.clone();
        let thread = std::thread::Builder::new()
            .name(format!("smol-{i}"))
            .spawn(move || {
                if let Err(e) = host.enter_thread() {
                    host.handle().report_error(&e);
                }
                async_io::block_on(executor.run(async {
                    let _ = stopped.recv().await;
                }));
            })
            .map_err(Error::Io)?;
        threads.push(thread);
    }
    Ok(Smol(Arc::new(Inner {
        executor: Mutex::new(Some(executor)),
        stop: Mutex::new(Some(stop)),
        workers: Mutex::new(threads),
        host,
    })))
}

impl Inner {
    /// Refuses a call made from inside the host (one of its tasks, or a
    /// `block_on` of it).
    fn outside(&self) -> Result<(), Error> {
        match Handle::try_current() {
            Some(h) if h.same_runtime(self.host.handle()) => Err(Error::InvalidState(
                "called from inside a task of the runtime",
            )),
            _ => Ok(()),
        }
    }
}

impl SuiteExecutor for Smol {
    fn handle(&self) -> Handle {
        self.0.host.handle().clone()
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) -> Result<(), Error> {
        self.0.outside()?;
        let executor = self
            .0
            .executor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(Error::Shutdown)?;
        self.0.host.block_on(&executor, future);
        Ok(())
    }

    fn shutdown(&self) -> Result<(), Error> {
        self.0.outside()?;
        drop(
            self.0
                .stop
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let workers = std::mem::take(
            &mut *self
                .0
                .workers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for worker in workers {
            let _ = worker.join();
        }
        // smol's shutdown: dropping the executor drops every task.
        drop(
            self.0
                .executor
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        self.0.host.stop();
        Ok(())
    }

    fn shared(&self) -> Option<Arc<dyn SuiteExecutor + Send + Sync>> {
        Some(Arc::new(Smol(Arc::clone(&self.0))))
    }
}
