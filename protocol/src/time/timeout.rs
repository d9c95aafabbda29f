//! `Timeout`: a future bounded by a deadline.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{Sleep, Target};
use crate::Error;

/// Runs `future` (any [`Awaitable`](crate::Awaitable): a future, or a
/// [`&Promise`](crate::Promise)) for at most `duration` of the reactor's clock.
///
/// # Return value
///
/// `Ok(output)` if `future` completes first; `Err(Error::Elapsed)` once the
/// deadline has passed, after which `future` is not polled again (it is
/// dropped with the `Timeout`).
///
/// The deadline is checked *before* the inner future at every poll, so an
/// expired deadline wins a tie: `timeout(Duration::ZERO, pending)` and
/// `timeout(past, sleep(Duration::ZERO))` both report `Elapsed` (the deadline
/// fires on the reactor turn where the inner sleep does), while a future that
/// completes at its first poll is `Ok` even under a zero timeout, because a
/// deadline never fires inline. `Duration::MAX` never expires.
///
/// # Errors
///
/// [`Error::Elapsed`] as above; [`Error::NoRuntime`] when polled outside
/// every runtime (the inner future is then not polled);
/// [`Error::Shutdown`] once the reactor has shut down.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_protocol::Error;
/// use baton_protocol::time::timeout;
///
/// # async fn demo() -> Result<(), Error> {
/// let quick = async { 7 };
/// assert_eq!(timeout(Duration::from_secs(10), quick).await?, 7);
///
/// let never = std::future::pending::<()>();
/// assert!(matches!(
///     timeout(Duration::from_millis(1), never).await,
///     Err(Error::Elapsed)
/// ));
/// # Ok(()) }
/// ```
pub fn timeout<A: IntoFuture>(duration: Duration, future: A) -> Timeout<A::IntoFuture> {
    Timeout {
        deadline: Sleep::new(Target::After(duration)),
        future: future.into_future(),
    }
}

/// Runs `future` until `deadline`, an instant of the reactor's clock.
///
/// # Return value
///
/// As [`timeout`]; a deadline already past reports `Elapsed` at the next
/// reactor turn unless `future` completes at its first poll.
///
/// # Errors
///
/// As [`timeout`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_protocol::{Error, Handle};
/// use baton_protocol::time::{sleep, timeout_at};
///
/// # async fn demo() -> Result<(), Error> {
/// let deadline = Handle::current()?.reactor().now() + Duration::from_millis(50);
/// // Two steps share one deadline.
/// timeout_at(deadline, sleep(Duration::from_millis(10))).await??;
/// timeout_at(deadline, sleep(Duration::from_millis(10))).await??;
/// # Ok(()) }
/// ```
pub fn timeout_at<A: IntoFuture>(deadline: Instant, future: A) -> Timeout<A::IntoFuture> {
    Timeout {
        deadline: Sleep::new(Target::At(deadline)),
        future: future.into_future(),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`] and [`timeout_at`].
    ///
    /// Dropping it cancels its timer and drops the inner future.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        deadline: Sleep,
        #[pin]
        future: F,
    }
}

impl<F> Timeout<F> {
    /// The deadline on the reactor's clock; `None` as for
    /// [`Sleep::deadline`].
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.deadline()
    }

    /// The inner future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// Gives back the inner future and cancels the timer.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The deadline first: an expiry is reported even if the inner future
        // would also be ready, and even when the budget is spent (the inner
        // leaves spend it, not this check).
        match this.deadline.poll_deadline(cx) {
            Poll::Ready(Ok(())) => return Poll::Ready(Err(Error::Elapsed)),
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {}
        }
        this.future.poll(cx).map(Ok)
    }
}
