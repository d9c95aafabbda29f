//! `futures_io` traits for [`Async`]: on `Async<T>` through `&mut T`, and on
//! `&Async<T>` through `&T` (so one socket can be read and written from two
//! tasks at once).

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::Async;

/// `buf` cut to an injected short length.
fn limit_mut(buf: &mut [u8], limit: Option<usize>) -> &mut [u8] {
    match limit {
        Some(n) if n < buf.len() => &mut buf[..n],
        _ => buf,
    }
}

/// `buf` cut to an injected short length.
fn limit(buf: &[u8], limit: Option<usize>) -> &[u8] {
    match limit {
        Some(n) if n < buf.len() => &buf[..n],
        _ => buf,
    }
}

/// A vectored read, or under a short-length fault a plain read of at most
/// that many bytes into the first non-empty buffer (a short read a real
/// `readv` may also return).
fn read_vectored(
    mut io: impl Read,
    bufs: &mut [IoSliceMut<'_>],
    max: Option<usize>,
) -> io::Result<usize> {
    match max {
        None => io.read_vectored(bufs),
        Some(_) => match bufs.iter_mut().find(|b| !b.is_empty()) {
            Some(buf) => io.read(limit_mut(buf, max)),
            None => Ok(0),
        },
    }
}

/// A vectored write, or under a short-length fault a plain write of at most
/// that many bytes from the first non-empty buffer.
fn write_vectored(
    mut io: impl Write,
    bufs: &[IoSlice<'_>],
    max: Option<usize>,
) -> io::Result<usize> {
    match max {
        None => io.write_vectored(bufs),
        Some(_) => match bufs.iter().find(|b| !b.is_empty()) {
            Some(buf) => io.write(limit(buf, max)),
            None => Ok(0),
        },
    }
}

impl<T> Async<T>
where
    for<'a> &'a T: Read,
{
    /// `AsyncRead::poll_read` for a stream socket: a short read clears the
    /// readiness at once (see [`Async::poll_read_stream`]).
    pub(crate) fn poll_read_stream_buf(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.poll_read_stream(cx, len, |mut io, max| io.read(limit_mut(buf, max)))
    }

    /// `AsyncRead::poll_read_vectored` for a stream socket; see
    /// [`poll_read_stream_buf`](Async::poll_read_stream_buf).
    pub(crate) fn poll_read_stream_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.poll_read_stream(cx, len, |io, max| read_vectored(io, bufs, max))
    }
}

impl<T: Read> AsyncRead for Async<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_read_with_mut(cx, |io, max| io.read(limit_mut(buf, max)))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_read_with_mut(cx, |io, max| read_vectored(io, bufs, max))
    }
}

impl<T> AsyncRead for &Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |mut io, max| io.read(limit_mut(buf, max)))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |io, max| read_vectored(io, bufs, max))
    }
}

impl<T: Write> AsyncWrite for Async<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with_mut(cx, |io, max| io.write(limit(buf, max)))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with_mut(cx, |io, max| write_vectored(io, bufs, max))
    }

    /// Flushes at once when `T` can; waits for write readiness only after
    /// a `WouldBlock` (sockets and pipes never return it: their flush does
    /// nothing).
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.get_mut().flush() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                this.poll_write_with_mut(cx, |io, _| io.flush())
            }
            result => Poll::Ready(result),
        }
    }

    /// Flushes: `Async<T>` cannot know how to half-close an arbitrary `T`.
    /// The [`net`](crate::net) stream types shut down their write half.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T> AsyncWrite for &Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut io, max| io.write(limit(buf, max)))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |io, max| write_vectored(io, bufs, max))
    }

    /// As for `Async<T>`.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_ref().flush() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.poll_write_with(cx, |mut io, _| io.flush())
            }
            result => Poll::Ready(result),
        }
    }

    /// Flushes, as for `Async<T>`.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
