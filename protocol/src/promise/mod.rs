//! `Promise<T>`: asyncio's `Future`, a one-shot result cell that any task on
//! any executor can await.
//!
//! A [`Promise`] starts *pending*. Whoever holds it can complete it once,
//! with a value ([`set_result`](Promise::set_result)), an error
//! ([`set_error`](Promise::set_error)) or a cancellation
//! ([`cancel`](Promise::cancel)); after that it is *done* and never changes.
//! Awaiting it gives what it was completed with, as
//! [`result`](Promise::result) does.
//!
//! # From the design note's asyncio to Rust
//!
//! | asyncio                                   | baton                                                  |
//! |-------------------------------------------|--------------------------------------------------------|
//! | `fut = loop.create_future()`              | [`Promise::new()`] (belongs to the runtime entered on the thread) |
//! | `fut.set_result(v)` / `set_exception(e)`  | [`set_result`](Promise::set_result) / [`set_error`](Promise::set_error) |
//! | `fut.cancel(msg=...)`                     | [`cancel`](Promise::cancel) / [`cancel_with`](Promise::cancel_with) |
//! | `fut.done()`, `fut.cancelled()`           | [`done`](Promise::done), [`cancelled`](Promise::cancelled) |
//! | `fut.result()` (raises)                   | [`result`](Promise::result) (returns `Err`)            |
//! | `fut.exception()`                         | [`error`](Promise::error)                              |
//! | `fut.add_done_callback(cb)`               | [`add_done_callback`](Promise::add_done_callback) with a [`DoneCallback`] |
//! | `fut.remove_done_callback(cb)`            | [`remove_done_callback`](Promise::remove_done_callback) |
//! | `await fut` (`yield self` until done)     | `promise.await` or `(&promise).await`; the [`Wait`] future reports [`WaitFor::Promise`](crate::wait::WaitFor::Promise) while pending |
//! | `InvalidStateError`                       | [`Error::InvalidState`](crate::Error::InvalidState)    |
//! | `CancelledError(msg)`                     | [`Error::Cancelled`](crate::Error::Cancelled)          |
//! | "Future exception was never retrieved"    | [`Handle::report_error`](crate::Handle::report_error) when the last reference is dropped |
//!
//! # Rules
//!
//! - **Completing twice, or reading early, is an error value**:
//!   [`Error::InvalidState`](crate::Error::InvalidState), never a panic.
//!   [`cancel`](Promise::cancel) on a done Promise returns `false`.
//! - **Awaitable from any executor and any thread.** Completion wakes every
//!   waiter. Awaiting a done Promise does not suspend (unless the task's
//!   [cooperative budget](crate::coop) is spent, as for every leaf future).
//! - **Done callbacks are scheduled, not called** (design Decision 8): in
//!   registration order, exactly once, outside every lock; on the Promise's
//!   runtime, in a later turn, never inside `set_result`; without a runtime,
//!   on the completing thread after the state change. See
//!   [`add_done_callback`](Promise::add_done_callback).
//! - **Dropping a task that awaits a Promise leaves the Promise settable**
//!   (design Decision 9). This differs from asyncio, where cancelling the
//!   awaiting task cancels the future: in Rust, dropping a future is a local
//!   decision of its owner, and it does not reach out to cancel a value that
//!   others share. Only [`cancel`](Promise::cancel) cancels a Promise.
//! - **An error nobody retrieved is reported** once, when the last reference
//!   goes: to the owning runtime's [error hook](crate::Handle::set_error_hook),
//!   or to standard error for a Promise made outside any runtime. Reading it
//!   with [`result`](Promise::result), [`error`](Promise::error) or by awaiting
//!   counts as retrieving; a cancelled Promise or a value is never reported.
//!
//! # Ownership
//!
//! `Promise` is a reference: clones share one Promise, and it lives while a
//! clone, a pending [`Wait`] or a scheduled callback batch holds it. A
//! Promise keeps a clone of its runtime's [`Handle`].
//!
//! Two consequences follow from Rust's reference counting, where asyncio has a
//! garbage collector:
//!
//! - A callback that captures its own Promise makes a reference cycle: the
//!   Promise is freed only once it completes and the callback has run. Capture
//!   a [`WeakPromise`] ([`Promise::downgrade`]) instead, or use the `&Promise`
//!   the callback receives.
//! - A task awaiting a Promise that nobody else holds waits forever, as in
//!   asyncio: keep a clone where the value will come from.
//!
//! # Examples
//!
//! ```
//! use baton_protocol::Promise;
//! use baton_protocol::testing::Stepper;
//!
//! let promise = Promise::<u32>::new();
//! let mut waiter = Stepper::new(promise.clone());
//! assert!(waiter.step().is_pending());
//!
//! promise.set_result(7)?;
//! assert!(waiter.woken());
//! assert_eq!(waiter.step().ready().transpose()?, Some(7));
//! # Ok::<(), baton_protocol::Error>(())
//! ```

mod callback;
mod complete;
mod read;
mod state;
mod wait;
mod weak;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use callback::DoneCallback;
pub use wait::Wait;
pub use weak::WeakPromise;

use crate::Handle;
use state::{Inner, State};

/// asyncio's `Future`: a one-shot result cell, awaitable from any executor
/// and any thread. See the [module documentation](self) for the rules.
///
/// Clones are references to the same Promise. `Promise<T>` is `Send` and
/// `Sync` when `T` is `Send`, and always `Unpin`.
///
/// # Examples
///
/// ```
/// use baton_protocol::{Error, Promise};
///
/// let promise = Promise::new();
/// assert!(matches!(promise.result(), Err(Error::InvalidState(_))));
///
/// promise.set_result("done")?;
/// assert_eq!(promise.result()?, "done");
/// assert!(matches!(promise.set_result("again"), Err(Error::InvalidState(_))));
/// assert!(!promise.cancel());
/// # Ok::<(), Error>(())
/// ```
pub struct Promise<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Promise<T> {
    /// A pending Promise that belongs to the runtime entered on this thread,
    /// if any, as an asyncio `Future` belongs to its loop: its done callbacks
    /// are scheduled there and an unretrieved error is reported there.
    ///
    /// Outside any runtime the Promise belongs to none; it still works, and
    /// its callbacks run on the thread that completes it.
    pub fn new() -> Self {
        Promise::with_runtime(Handle::try_current())
    }

    /// A pending Promise that belongs to the runtime behind `handle`.
    pub fn new_in(handle: &Handle) -> Self {
        Promise::with_runtime(Some(handle.clone()))
    }

    fn with_runtime(handle: Option<Handle>) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Promise {
            inner: Arc::new(Inner::new(NEXT_ID.fetch_add(1, Ordering::Relaxed), handle)),
        }
    }

    /// A number identifying this Promise within the process; what
    /// [`WaitFor::Promise`](crate::wait::WaitFor::Promise) reports.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// A reference that does not keep the Promise alive; see the module's
    /// [Ownership](self#ownership) section.
    pub fn downgrade(&self) -> WeakPromise<T> {
        WeakPromise::new(Arc::downgrade(&self.inner))
    }

    fn from_inner(inner: Arc<Inner<T>>) -> Self {
        Promise { inner }
    }
}

impl<T> Clone for Promise<T> {
    /// Another reference to the same Promise.
    fn clone(&self) -> Self {
        Promise {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> Default for Promise<T> {
    /// [`Promise::new`].
    fn default() -> Self {
        Promise::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for Promise<T> {
    /// asyncio's `repr`: `<Promise pending>`, `<Promise finished result=..>`,
    /// `<Promise finished error=..>`, `<Promise cancelled>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner.lock() {
            State::Pending { .. } => f.write_str("<Promise pending>"),
            State::Finished(value) => write!(f, "<Promise finished result={value:?}>"),
            State::Failed { error, .. } => write!(f, "<Promise finished error={error:?}>"),
            State::Cancelled(None) => f.write_str("<Promise cancelled>"),
            State::Cancelled(Some(message)) => {
                write!(f, "<Promise cancelled message={message:?}>")
            }
        }
    }
}
