//! The state behind a [`Promise`](super::Promise), and who may touch it.

use std::mem;
use std::sync::PoisonError;
use std::task::Waker;

use slab::Slab;

use super::DoneCallback;
use crate::sync::{Mutex, MutexGuard};
use crate::{Error, Handle};

/// What every reference to one Promise shares.
pub(super) struct Inner<T> {
    pub(super) id: u64,
    /// The runtime the Promise belongs to: where callbacks are scheduled and
    /// unretrieved errors are reported. Fixed at creation.
    pub(super) handle: Option<Handle>,
    state: Mutex<State<T>>,
}

/// The Promise's state machine.
///
/// # Invariant
///
/// - `Pending` is the only state that holds waiters and callbacks. Leaving it
///   is the one transition ([`Inner::complete`]); it takes both out under the
///   lock and acts on them (wakes, schedules) after the lock is released, so
///   no user code runs while the lock is held.
/// - A waiter's slab key is owned by the [`Wait`](super::Wait) that inserted
///   it: only that `Wait` removes it (when dropped), or `complete` clears the
///   whole slab. No waiter is inserted after `complete`, so a key held by a
///   `Wait` of a pending Promise always names that `Wait`'s entry.
/// - Once done, the only change is `retrieved` going from `false` to `true`.
pub(super) enum State<T> {
    Pending {
        waiters: Slab<Waker>,
        callbacks: Vec<DoneCallback<T>>,
    },
    Finished(T),
    Failed {
        error: Error,
        /// Whether someone read the error: decides whether dropping the
        /// Promise reports it.
        retrieved: bool,
    },
    Cancelled(Option<String>),
}

impl<T> State<T> {
    pub(super) fn is_pending(&self) -> bool {
        matches!(self, State::Pending { .. })
    }

    /// asyncio's `exception()`; marks an error as retrieved.
    pub(super) fn error(&mut self) -> Result<Option<Error>, Error> {
        match self {
            State::Pending { .. } => Err(still_pending()),
            State::Finished(_) => Ok(None),
            State::Failed { error, retrieved } => {
                *retrieved = true;
                Ok(Some(error.clone()))
            }
            State::Cancelled(message) => Err(Error::Cancelled(message.clone())),
        }
    }
}

impl<T: Clone> State<T> {
    /// asyncio's `result()`; marks an error as retrieved.
    pub(super) fn result(&mut self) -> Result<T, Error> {
        match self {
            State::Pending { .. } => Err(still_pending()),
            State::Finished(value) => Ok(value.clone()),
            State::Failed { error, retrieved } => {
                *retrieved = true;
                Err(error.clone())
            }
            State::Cancelled(message) => Err(Error::Cancelled(message.clone())),
        }
    }
}

fn still_pending() -> Error {
    Error::InvalidState("the promise is still pending")
}

impl<T> Inner<T> {
    pub(super) fn new(id: u64, handle: Option<Handle>) -> Self {
        Inner {
            id,
            handle,
            state: Mutex::new(State::Pending {
                waiters: Slab::new(),
                callbacks: Vec::new(),
            }),
        }
    }

    /// The state, whatever a panicking holder left: every transition is a
    /// single assignment, so a poisoned state is still consistent.
    pub(super) fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves a pending Promise to `done` and hands back what must be acted
    /// on outside the lock.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] if the Promise is already done; `done` (and the
    /// value in it) is dropped after the lock is released.
    pub(super) fn complete(&self, done: State<T>) -> Result<Completed<T>, Error> {
        let mut state = self.lock();
        let State::Pending { waiters, callbacks } = &mut *state else {
            return Err(Error::InvalidState("the promise is already done"));
        };
        let completed = Completed {
            waiters: mem::take(waiters),
            callbacks: mem::take(callbacks),
        };
        *state = done;
        Ok(completed)
    }
}

/// What a completion took out of the pending state.
pub(super) struct Completed<T> {
    pub(super) waiters: Slab<Waker>,
    pub(super) callbacks: Vec<DoneCallback<T>>,
}

impl<T> Drop for Inner<T> {
    /// Reports an error nobody retrieved, as asyncio's "exception was never
    /// retrieved". Pending callbacks are dropped with the state, unrun.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let State::Failed {
            error,
            retrieved: false,
        } = state
        {
            match &self.handle {
                Some(handle) => handle.report_error(error),
                None => eprintln!(
                    "baton: promise {} dropped with an error nobody retrieved: {error}",
                    self.id
                ),
            }
        }
    }
}
