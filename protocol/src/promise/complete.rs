//! Completing a Promise: `set_result`, `set_error`, `cancel`.

use super::Promise;
use super::state::State;
use crate::Error;

impl<T: Send + 'static> Promise<T> {
    /// Completes the Promise with `value`: every waiter is woken and the done
    /// callbacks are scheduled (see
    /// [`add_done_callback`](Promise::add_done_callback)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] if the Promise is already done (finished or
    /// cancelled); `value` is dropped and nothing changes.
    pub fn set_result(&self, value: T) -> Result<(), Error> {
        self.complete(State::Finished(value))
    }

    /// Completes the Promise with `error`, asyncio's `set_exception`. Readers
    /// get a clone of it; if nobody reads it before the last reference is
    /// dropped, it is reported (see the [module rules](super#rules)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] if the Promise is already done; nothing
    /// changes.
    pub fn set_error(&self, error: Error) -> Result<(), Error> {
        self.complete(State::Failed {
            error,
            retrieved: false,
        })
    }

    /// Cancels the Promise: readers get `Err(Error::Cancelled(None))`.
    ///
    /// # Return value
    ///
    /// `true` if this call cancelled the Promise; `false` if it was already
    /// done (finished or cancelled), in which case nothing changes.
    pub fn cancel(&self) -> bool {
        self.complete(State::Cancelled(None)).is_ok()
    }

    /// [`cancel`](Promise::cancel) with a message, which readers get in
    /// `Err(Error::Cancelled(Some(message)))`, as asyncio's `cancel(msg=...)`.
    pub fn cancel_with(&self, message: impl Into<String>) -> bool {
        self.complete(State::Cancelled(Some(message.into())))
            .is_ok()
    }

    /// The one transition out of pending: state change under the lock, then
    /// wake-ups and callbacks outside it.
    fn complete(&self, done: State<T>) -> Result<(), Error> {
        let completed = self.inner.complete(done)?;
        for (_, waker) in completed.waiters {
            waker.wake();
        }
        self.schedule_callbacks(completed.callbacks);
        Ok(())
    }
}
