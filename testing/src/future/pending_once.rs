//! `PendingOnce`: one self-woken `Pending` before the inner future runs.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

/// Wraps `future` (anything awaitable) so that its first poll returns
/// `Pending` after waking the task, without polling `future`; every later
/// poll polls `future`.
///
/// Use it to check that code around a future copes with one extra turn
/// before the future starts: for example that a `select` between two
/// branches does not assume the first one is ready at once.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use baton_testing::future::pending_once;
///
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut fut = pin!(pending_once(async { "done" }));
/// assert!(fut.as_mut().poll(&mut cx).is_pending());
/// assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready("done"));
/// ```
pub fn pending_once<A: IntoFuture>(future: A) -> PendingOnce<A::IntoFuture> {
    PendingOnce {
        inner: future.into_future(),
        pended: false,
    }
}

pin_project! {
    /// The future of [`pending_once`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct PendingOnce<F> {
        #[pin]
        inner: F,
        pended: bool,
    }
}

impl<F> PendingOnce<F> {
    /// The wrapped future.
    pub fn get_ref(&self) -> &F {
        &self.inner
    }

    /// The wrapped future, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut F> {
        self.project().inner
    }
}

impl<F: Future> Future for PendingOnce<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if *this.pended {
            this.inner.poll(cx)
        } else {
            *this.pended = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
