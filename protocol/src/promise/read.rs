//! Reading a Promise without waiting: `done`, `cancelled`, `result`, `error`.

use super::Promise;
use super::state::State;
use crate::Error;

impl<T> Promise<T> {
    /// Whether the Promise is done: finished (with a value or an error) or
    /// cancelled.
    pub fn done(&self) -> bool {
        !self.inner.lock().is_pending()
    }

    /// Whether the Promise was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(*self.inner.lock(), State::Cancelled(_))
    }

    /// The error the Promise finished with, asyncio's `exception()`. Counts
    /// as retrieving it.
    ///
    /// # Return value
    ///
    /// `Ok(None)` if it finished with a value, `Ok(Some(error))` if it
    /// finished with an error.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] while pending; [`Error::Cancelled`] (with the
    /// cancel message) if it was cancelled.
    pub fn error(&self) -> Result<Option<Error>, Error> {
        self.inner.lock().error()
    }
}

impl<T: Clone> Promise<T> {
    /// The value the Promise finished with (a clone), without waiting.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] while pending; [`Error::Cancelled`] (with the
    /// cancel message) if it was cancelled; the error it finished with, which
    /// then counts as retrieved.
    pub fn result(&self) -> Result<T, Error> {
        self.inner.lock().result()
    }
}
