//! [`Runtime`]: a built executor of either kind, with its reactor.

use std::future::IntoFuture;

use baton_executor::{Dump, JoinHandle, LocalExecutor};
use baton_protocol::{Error, Handle};

/// A built executor of either kind, over the reactor
/// [`RuntimeOptions`](super::RuntimeOptions) chose. Dropping it shuts it
/// down (every task's future dropped exactly once).
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rt = baton::RuntimeOptions::default().build()?;
/// let sum = rt.block_on(async {
///     let task = baton::spawn(async { 1 + 2 })?;
///     task.await
/// })?;
/// assert_eq!(sum, 3);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub enum Runtime {
    /// The single-thread executor.
    Local(LocalExecutor),
    /// The multi-thread work-stealing executor.
    Multi(baton_executor::Runtime),
}

impl Runtime {
    /// The runtime as portable code sees it.
    pub fn handle(&self) -> &Handle {
        match self {
            Runtime::Local(ex) => ex.handle(),
            Runtime::Multi(rt) => rt.handle(),
        }
    }

    /// Runs `future` to completion on this thread, the runtime's tasks
    /// running meanwhile (on this thread for the local executor, on the
    /// workers for the multi-thread one), and returns its output.
    ///
    /// The output is the future's own, not wrapped in another `Result`:
    /// what can go wrong in building a runtime is reported by
    /// [`RuntimeOptions::build`](super::RuntimeOptions::build), and what
    /// remains here is misuse, which panics as tokio's does. Use
    /// [`try_block_on`](Runtime::try_block_on) to get it as a value.
    ///
    /// # Panics
    ///
    /// In the cases where [`try_block_on`](Runtime::try_block_on) returns
    /// an error, with that error's message; and if `future` panics.
    pub fn block_on<F: IntoFuture>(&self, future: F) -> F::Output {
        match self.try_block_on(future) {
            Ok(output) => output,
            Err(e) => panic!("baton: block_on refused: {e}"),
        }
    }

    /// [`block_on`](Runtime::block_on), with its misuse as a value.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`], and `future` dropped unpolled:
    ///
    /// - called from inside this runtime (one of its tasks, or its
    ///   `block_on`): the call would wait for work only it could do;
    /// - called on a worker thread of another multi-thread runtime (the
    ///   "foreign `block_on` nested in a task"): it would block that worker
    ///   for as long as `future` runs. Spawn the future on that runtime, or
    ///   call `block_on` from its `spawn_blocking`.
    ///
    /// [`Error::Shutdown`] once the runtime has shut down.
    pub fn try_block_on<F: IntoFuture>(&self, future: F) -> Result<F::Output, Error> {
        match self {
            Runtime::Local(ex) => ex.block_on(future),
            Runtime::Multi(rt) => rt.block_on(future),
        }
    }

    /// Starts a task on this runtime from outside it.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after shutdown; `future` is dropped.
    pub fn spawn<F>(&self, future: F) -> Result<JoinHandle<F::Output>, Error>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Runtime::Local(ex) => ex.spawn(future),
            Runtime::Multi(rt) => rt.spawn(future),
        }
    }

    /// Every live task with what it waits on (see [`Dump`]).
    pub fn dump(&self) -> Dump {
        match self {
            Runtime::Local(ex) => ex.dump(),
            Runtime::Multi(rt) => rt.dump(),
        }
    }
}
