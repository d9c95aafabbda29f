//! Awaiting a Promise: the design note's `yield self` until done.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::Promise;
use super::state::State;
use crate::Error;
use crate::coop;
use crate::wait::{self, WaitFor};

/// The future of awaiting a [`Promise`]: `promise.await` and
/// `(&promise).await` both build one.
///
/// Its output is what [`Promise::result`] gives once the Promise is done:
/// the value, the error it finished with (which then counts as retrieved), or
/// [`Error::Cancelled`].
///
/// Dropping a `Wait` removes its waker from the Promise and leaves the
/// Promise settable (design Decision 9).
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    promise: Promise<T>,
    /// This wait's entry among the Promise's waiters, once it has stored a
    /// waker; see the state's `# Invariant`.
    key: Option<usize>,
}

impl<T> Wait<T> {
    /// The Promise this future waits for.
    pub fn promise(&self) -> &Promise<T> {
        &self.promise
    }
}

impl<T: Clone> Future for Wait<T> {
    type Output = Result<T, Error>;

    /// # Return value
    ///
    /// `Ready` with [`Promise::result`]'s answer as soon as the Promise is
    /// done. `Pending` while it is pending: `cx.waker()` is stored in this
    /// wait's one slot (replacing the waker of an earlier poll, so repeated
    /// polls do not pile up wakers), it will be woken when the Promise
    /// completes, and [`WaitFor::Promise`] is reported. Also `Pending`, with
    /// the waker already woken, when the task's cooperative budget is spent.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        ready!(coop::poll_proceed(cx));
        let this = &mut *self;
        let mut state = this.promise.inner.lock();
        let State::Pending { waiters, .. } = &mut *state else {
            this.key = None;
            return Poll::Ready(state.result());
        };
        let replaced = match this.key.and_then(|key| waiters.get_mut(key)) {
            Some(stored) if stored.will_wake(cx.waker()) => None,
            Some(stored) => Some(mem::replace(stored, cx.waker().clone())),
            None => {
                this.key = Some(waiters.insert(cx.waker().clone()));
                None
            }
        };
        drop(state);
        // A waker's destructor is foreign code: run it outside the lock.
        drop(replaced);
        wait::report(WaitFor::Promise(this.promise.id()));
        Poll::Pending
    }
}

impl<T> Drop for Wait<T> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let removed = {
            let mut state = self.promise.inner.lock();
            match &mut *state {
                State::Pending { waiters, .. } => waiters.try_remove(key),
                _ => None,
            }
        };
        // A waker's destructor is foreign code: run it outside the lock.
        drop(removed);
    }
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("promise", &self.promise.id())
            .field("waker_stored", &self.key.is_some())
            .finish()
    }
}

impl<T: Clone> IntoFuture for Promise<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Wait<T>;

    /// Waits for this Promise; see [`Wait`].
    fn into_future(self) -> Wait<T> {
        Wait {
            promise: self,
            key: None,
        }
    }
}

impl<T: Clone> IntoFuture for &Promise<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Wait<T>;

    /// Waits for this Promise through another reference to it; see [`Wait`].
    fn into_future(self) -> Wait<T> {
        self.clone().into_future()
    }
}
