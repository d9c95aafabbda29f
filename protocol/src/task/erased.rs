//! Type-erased futures: how a typed future crosses the object-safe
//! [`Spawn`](super::Spawn) trait without a separate output slot.
//!
//! [`Spawn::spawn_erased`](super::Spawn::spawn_erased) cannot be generic over
//! the future, so the protocol boxes it once, as a [`BoxErased`], and the
//! output stays inside that box when the future returns. The executor hands
//! the box back as its task's output; the protocol's
//! [`JoinHandle`](super::JoinHandle) moves the typed output out with
//! [`ErasedFuture::take_output`]. One allocation for the future and its
//! output, no lock, no shared slot.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// A spawned future whose output type is erased: what
/// [`Spawn::spawn_erased`](super::Spawn::spawn_erased) runs.
///
/// The future keeps its output inside itself when it returns;
/// [`take_output`](ErasedFuture::take_output) moves it out, given a slot of
/// the right type. Object safe.
pub trait ErasedFuture: Send {
    /// Polls the future.
    ///
    /// # Return value
    ///
    /// `Ready(())` once the future has returned: its output is kept inside,
    /// and the future itself has been dropped (inside this call, so its
    /// destructor runs in the task, as if the task had dropped it). `Pending`
    /// with the waker stored otherwise. Polling again after `Ready` returns
    /// `Ready(())` and does nothing.
    ///
    /// # Panics
    ///
    /// A panic of the future, or of its destructor, propagates to the
    /// caller; an output produced before a destructor's panic stays inside
    /// and is dropped with `self`.
    fn poll_erased(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;

    /// Moves the output out into `slot`, which must be an `Option<T>` for
    /// the future's output type `T`.
    ///
    /// # Return value
    ///
    /// Whether an output was moved: false if `slot` is of another type, if
    /// the future has not returned, or if the output was already taken.
    fn take_output(self: Pin<&mut Self>, slot: &mut dyn Any) -> bool;
}

/// A boxed [`ErasedFuture`], as [`Spawn::spawn_erased`](super::Spawn::spawn_erased)
/// takes it and its join handle gives it back.
pub type BoxErased = Pin<Box<dyn ErasedFuture>>;

pin_project_lite::pin_project! {
    /// `F` as an [`ErasedFuture`].
    pub(super) struct Erase<F: Future> {
        #[pin]
        future: Option<F>,
        output: Option<F::Output>,
    }
}

impl<F: Future> Erase<F> {
    pub(super) fn new(future: F) -> Self {
        Erase {
            future: Some(future),
            output: None,
        }
    }
}

impl<F> ErasedFuture for Erase<F>
where
    F: Future + Send,
    F::Output: Send + 'static,
{
    fn poll_erased(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let output = ready!(future.poll(cx));
        // Stored before the future is dropped: if its destructor panics, the
        // output is dropped with the box, by whoever drops it.
        *this.output = Some(output);
        this.future.set(None);
        Poll::Ready(())
    }

    fn take_output(self: Pin<&mut Self>, slot: &mut dyn Any) -> bool {
        match slot.downcast_mut::<Option<F::Output>>() {
            Some(slot) => {
                *slot = self.project().output.take();
                slot.is_some()
            }
            None => false,
        }
    }
}

/// Takes the `T` out of a finished [`Erase`]: what a [`JoinHandle`] of an
/// erased task calls on the box its executor returned.
///
/// [`JoinHandle`]: super::JoinHandle
pub(super) fn take<T: 'static>(mut future: BoxErased) -> Option<T> {
    let mut slot = None::<T>;
    future.as_mut().take_output(&mut slot);
    slot
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Waker;

    fn poll(future: &mut BoxErased) -> Poll<()> {
        future
            .as_mut()
            .poll_erased(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn output_is_kept_and_taken_once() {
        let mut future: BoxErased = Box::pin(Erase::new(async { String::from("out") }));
        assert!(!future.as_mut().take_output(&mut None::<String>));
        assert_eq!(poll(&mut future), Poll::Ready(()));
        assert_eq!(poll(&mut future), Poll::Ready(()));
        assert!(!future.as_mut().take_output(&mut None::<u8>), "wrong type");
        let mut slot = None::<String>;
        assert!(future.as_mut().take_output(&mut slot));
        assert_eq!(slot.as_deref(), Some("out"));
        assert_eq!(take::<String>(future), None, "already taken");
    }

    #[test]
    fn future_is_dropped_when_it_returns() {
        let held = Arc::new(());
        let inner = Arc::clone(&held);
        let mut future: BoxErased = Box::pin(Erase::new(async move {
            let _inner = inner;
            7u8
        }));
        assert_eq!(Arc::strong_count(&held), 2);
        assert_eq!(poll(&mut future), Poll::Ready(()));
        assert_eq!(Arc::strong_count(&held), 1, "dropped inside the poll");
        assert_eq!(take::<u8>(future), Some(7));
    }
}
