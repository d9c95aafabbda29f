//! `InterleavePending`: a self-woken `Pending` before every poll of the
//! inner future or stream.

use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

/// Wraps `inner` — a future, or a `futures_io` reader or writer — so that
/// every poll of it is preceded by one poll that returns `Pending` after
/// waking the task.
///
/// For a future, the wrapper alternates: `Pending` (woken), then a poll of
/// the future, then `Pending` again if the future was still pending, and so
/// on. For I/O, each operation (`poll_read`, `poll_write`, `poll_flush`,
/// `poll_close`, `poll_fill_buf`) alternates the same way; `consume` passes
/// through. The wrapped value therefore sees exactly the calls it would see
/// unwrapped, each one a task turn later: code that assumed an operation
/// completes in the same poll as the one before it breaks.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use baton_testing::future::interleave_pending;
///
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut fut = pin!(interleave_pending(baton_testing::future::pending_once(async { 3 })));
/// // Our Pending, the inner Pending, our Pending, the inner value.
/// assert!(fut.as_mut().poll(&mut cx).is_pending());
/// assert!(fut.as_mut().poll(&mut cx).is_pending());
/// assert!(fut.as_mut().poll(&mut cx).is_pending());
/// assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(3));
/// ```
pub fn interleave_pending<T>(inner: T) -> InterleavePending<T> {
    InterleavePending {
        inner,
        pended: false,
    }
}

pin_project! {
    /// The wrapper of [`interleave_pending`].
    #[derive(Debug)]
    pub struct InterleavePending<T> {
        #[pin]
        inner: T,
        // Whether the last call returned our own `Pending`: the next one
        // reaches the inner value.
        pended: bool,
    }
}

impl<T> InterleavePending<T> {
    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped value, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// Every other call: returns `Pending` after waking the task, or hands
    /// the call to `op`.
    fn interleave<'a, R>(
        self: Pin<&'a mut Self>,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&'a mut T>, &mut Context<'_>) -> Poll<R>,
    ) -> Poll<R> {
        let this = self.project();
        if *this.pended {
            *this.pended = false;
            op(this.inner, cx)
        } else {
            *this.pended = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl<F: Future> Future for InterleavePending<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.interleave(cx, |inner, cx| inner.poll(cx))
    }
}

impl<R: AsyncRead> AsyncRead for InterleavePending<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.interleave(cx, |inner, cx| inner.poll_read(cx, buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.interleave(cx, |inner, cx| inner.poll_read_vectored(cx, bufs))
    }
}

impl<R: AsyncBufRead> AsyncBufRead for InterleavePending<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.interleave(cx, |inner, cx| inner.poll_fill_buf(cx))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.project().inner.consume(amt);
    }
}

impl<W: AsyncWrite> AsyncWrite for InterleavePending<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.interleave(cx, |inner, cx| inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.interleave(cx, |inner, cx| inner.poll_write_vectored(cx, bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.interleave(cx, |inner, cx| inner.poll_flush(cx))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.interleave(cx, |inner, cx| inner.poll_close(cx))
    }
}
