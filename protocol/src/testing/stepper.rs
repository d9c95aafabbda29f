//! `Stepper`: poll a future by hand, one step at a time.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use super::Step;
use crate::Handle;
use crate::wait;

/// Drives a future by hand, one `poll` per [`step`](Stepper::step), with a
/// waker that counts its wake-ups: the design note's `coro.send(None)`.
///
/// The stepper plays the executor's part and nothing more: it enters a
/// [`Handle`] during each step if given one, clears and collects the
/// [wait report](crate::wait), and never polls a future again after it
/// returned its output. It gives no cooperative budget, so leaf futures are
/// unconstrained, as under any foreign `block_on`.
///
/// See the [module documentation](super) for the design note's session
/// replayed with it.
///
/// # Panics
///
/// A panic of the future in `poll` propagates out of `step`; the stepper
/// itself never panics.
pub struct Stepper<F> {
    /// `None` once the future has returned its output (and was dropped).
    future: Option<Pin<Box<F>>>,
    handle: Option<Handle>,
    wakes: Arc<WakeCounter>,
    waker: Waker,
    /// The wake count when the last step started.
    wakes_at_last_step: usize,
}

impl<F: Future> Stepper<F> {
    /// A stepper over `future` (anything awaitable), polled with no runtime
    /// entered: leaf futures that need one report
    /// [`Error::NoRuntime`](crate::Error::NoRuntime).
    pub fn new(future: impl IntoFuture<IntoFuture = F>) -> Self {
        Stepper::build(future.into_future(), None)
    }

    /// A stepper that enters `handle` around each step, so that leaf futures
    /// and [`Promise::new`](crate::Promise::new) find that runtime.
    pub fn with_handle(future: impl IntoFuture<IntoFuture = F>, handle: Handle) -> Self {
        Stepper::build(future.into_future(), Some(handle))
    }

    fn build(future: F, handle: Option<Handle>) -> Self {
        let wakes = Arc::new(WakeCounter::default());
        Stepper {
            future: Some(Box::pin(future)),
            handle,
            waker: Waker::from(Arc::clone(&wakes)),
            wakes,
            wakes_at_last_step: 0,
        }
    }

    /// Polls the future once.
    ///
    /// # Return value
    ///
    /// [`Step::Ready`] with the output (the future is then dropped);
    /// [`Step::Pending`] with what the future reported waiting on;
    /// [`Step::Finished`], without polling, once the output was returned.
    pub fn step(&mut self) -> Step<F::Output> {
        let Some(future) = self.future.as_mut() else {
            return Step::Finished;
        };
        self.wakes_at_last_step = self.wakes.count();
        let _entered = self.handle.as_ref().map(Handle::enter);
        // A report left by earlier code on this thread is not this poll's.
        let _ = wait::take();
        let poll = future.as_mut().poll(&mut Context::from_waker(&self.waker));
        let waits_on = wait::take();
        match poll {
            Poll::Ready(output) => {
                self.future = None;
                Step::Ready(output)
            }
            Poll::Pending => Step::Pending { waits_on },
        }
    }

    /// Whether the waker was woken since the last step began (wakes during
    /// that step included, such as a `yield_now`). Before the first step:
    /// whether it was woken at all.
    pub fn woken(&self) -> bool {
        self.wakes.count() > self.wakes_at_last_step
    }

    /// How many times the waker (or a clone of it) was woken, in total.
    pub fn wake_count(&self) -> usize {
        self.wakes.count()
    }

    /// The waker each step polls with; its wake-ups are counted.
    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    /// Whether the future has returned its output.
    pub fn is_finished(&self) -> bool {
        self.future.is_none()
    }
}

impl<F> fmt::Debug for Stepper<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stepper")
            .field("finished", &self.future.is_none())
            .field("wake_count", &self.wakes.count())
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

/// The stepper's waker: counts wake-ups and does nothing else.
#[derive(Default)]
struct WakeCounter {
    wakes: AtomicUsize,
}

impl WakeCounter {
    fn count(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}
