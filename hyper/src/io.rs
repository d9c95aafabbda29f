//! [`BatonIo`]: a futures-io stream as hyper's `Read` + `Write`.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;
use pin_project_lite::pin_project;

use crate::read_window::ReadWindow;

pin_project! {
    /// Any [`futures_io`] stream as a [`hyper::rt::Read`] +
    /// [`hyper::rt::Write`]: what `serve_connection` and `handshake` take.
    ///
    /// Every [`baton_protocol::net`] stream (TCP, Unix) fits, owned or
    /// through `&`, and so does any other futures-io type. Writes are
    /// vectored ([`is_write_vectored`](hyper::rt::Write::is_write_vectored)
    /// is `true`): the net types send hyper's headers and body chunks in one
    /// `writev`; a type without vectored writes falls back to futures-io's
    /// default, one buffer at a time. `poll_shutdown` is futures-io's
    /// `poll_close`, which half-closes a net stream.
    ///
    /// A read asks for about as many bytes as recent reads brought (at
    /// least 1 KiB, more after reads that filled what they asked for), not
    /// for all the room hyper offers (8 KiB or more): futures-io reads into
    /// initialized bytes, so every read zeroes what it asks for first, and
    /// zeroing 8 KiB twice per small request (once more for the poll that
    /// finds nothing to read) was most of the CPU this wrapper added.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_hyper::BatonIo;
    /// use baton_protocol::net::TcpStream;
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let stream = TcpStream::connect(([127, 0, 0, 1], 8080)).await?;
    /// let io = BatonIo::new(stream);
    /// // `io` goes to `hyper::client::conn::http1::handshake(io)`.
    /// # let _ = io;
    /// # Ok(()) }
    /// ```
    #[derive(Debug)]
    pub struct BatonIo<T> {
        #[pin]
        inner: T,
        window: ReadWindow,
    }
}

impl<T> BatonIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        BatonIo {
            inner,
            window: ReadWindow::new(),
        }
    }

    /// The wrapped stream.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead> hyper::rt::Read for BatonIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // futures-io reads into initialized bytes only: zero the part of
        // the unfilled room this read asks for, no more.
        let this = self.project();
        let len = this.window.len().min(buf.remaining());
        let unfilled = buf.initialize_unfilled_to(len);
        let n = ready!(this.inner.poll_read(cx, unfilled))?;
        if n > len {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "poll_read reported more bytes than the buffer holds",
            )));
        }
        this.window.record(n, len);
        // SAFETY: `advance` needs its `n` bytes initialized; they are the
        // first `n <= len` bytes of the part `initialize_unfilled_to` just
        // initialized (checked above).
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> hyper::rt::Write for BatonIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}
