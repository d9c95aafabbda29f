//! [`BatonExecutor`]: hyper's background tasks spawned through the protocol.

use std::future::Future;

use baton_protocol::Handle;

/// A [`hyper::rt::Executor`] that spawns through the protocol: on the
/// runtime entered where hyper asks ([`BatonExecutor::new`]), or on a given
/// one ([`BatonExecutor::on`]). It runs on every baton runtime and on every
/// host, since all it needs is a [`Spawn`](baton_protocol::Spawn).
///
/// HTTP/2 connections need it (each stream and the connection's own driver
/// are tasks); HTTP/1 never calls it. Spawned tasks are detached: hyper
/// keeps no handle, and dropping one detaches on every baton executor.
///
/// # Errors
///
/// `execute` cannot return one: when spawning fails (no runtime entered,
/// or the runtime shut down) the future is dropped, which hyper sees as
/// the stream or connection going away, and the error goes to the
/// runtime's error hook ([`Handle::report_error`]) when there is a runtime
/// to tell, to standard error otherwise.
///
/// # Examples
///
/// ```
/// use baton_hyper::BatonExecutor;
///
/// let http2 = hyper::server::conn::http2::Builder::new(BatonExecutor::new());
/// # let _ = http2;
/// ```
#[derive(Clone, Debug, Default)]
pub struct BatonExecutor {
    handle: Option<Handle>,
}

impl BatonExecutor {
    /// Spawns on the runtime entered on the thread where hyper calls
    /// `execute` (hyper calls it from the connection's own task).
    pub fn new() -> Self {
        BatonExecutor { handle: None }
    }

    /// Spawns on the runtime behind `handle`, wherever hyper calls from.
    pub fn on(handle: Handle) -> Self {
        BatonExecutor {
            handle: Some(handle),
        }
    }
}

impl<F> hyper::rt::Executor<F> for BatonExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        let current;
        let handle = match &self.handle {
            Some(handle) => handle,
            None => match Handle::current() {
                Ok(handle) => {
                    current = handle;
                    &current
                }
                Err(error) => {
                    eprintln!("baton-hyper: cannot spawn hyper's task: {error}");
                    return;
                }
            },
        };
        match handle.spawn(future) {
            Ok(join) => join.detach(),
            Err(error) => handle.report_error(&error),
        }
    }
}
