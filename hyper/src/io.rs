//! [`BatonIo`]: a futures-io stream as hyper's `Read` + `Write`.

use std::cell::RefCell;
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
        let mut this = self.project();
        let len = this.window.len().min(buf.remaining());
        if len <= SCRATCH_LEN
            && let Some(read) = read_through_scratch(this.inner.as_mut(), cx, &mut buf, len)
        {
            let n = ready!(read)?;
            this.window.record(n, len);
            return Poll::Ready(Ok(()));
        }
        // futures-io reads into initialized bytes only: zero the part of
        // the unfilled room this read asks for, no more.
        let unfilled = buf.initialize_unfilled_to(len);
        let n = ready!(this.inner.poll_read(cx, unfilled))?;
        if n > len {
            return Poll::Ready(Err(too_many()));
        }
        this.window.record(n, len);
        // SAFETY: `advance` needs its `n` bytes initialized; they are the
        // first `n <= len` bytes of the part `initialize_unfilled_to` just
        // initialized (checked above).
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

/// The largest read that goes through the thread's scratch buffer.
const SCRATCH_LEN: usize = 1024;

thread_local! {
    /// Initialized once per thread: small reads land here and are copied
    /// into hyper's buffer, so a read that brings a 100-byte request (or
    /// finds nothing, as every other read of a keep-alive connection does)
    /// costs a copy of what it brought, not the zeroing of a whole window
    /// of hyper's uninitialized buffer (measured: about 220 instructions per
    /// request at 16 connections, of about 10 000).
    static SCRATCH: RefCell<[u8; SCRATCH_LEN]> = const { RefCell::new([0; SCRATCH_LEN]) };
}

/// Reads at most `len <= SCRATCH_LEN` bytes into the thread's scratch
/// buffer and copies them into `buf`; `None` if the buffer is in use
/// (a read that reads through another `BatonIo`), and the caller reads
/// directly.
fn read_through_scratch<T: AsyncRead>(
    inner: Pin<&mut T>,
    cx: &mut Context<'_>,
    buf: &mut ReadBufCursor<'_>,
    len: usize,
) -> Option<Poll<io::Result<usize>>> {
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.try_borrow_mut().ok()?;
        let read = inner.poll_read(cx, &mut scratch[..len]);
        Some(read.map(|read| {
            let n = read?;
            if n > len {
                return Err(too_many());
            }
            buf.put_slice(&scratch[..n]);
            Ok(n)
        }))
    })
}

fn too_many() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "poll_read reported more bytes than the buffer holds",
    )
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

#[cfg(test)]
mod tests {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use futures_io::AsyncRead;
    use hyper::rt::{Read, ReadBuf};

    use super::BatonIo;

    /// Hands out `data`, and claims `extra` more bytes than it copied.
    struct Reader {
        data: Vec<u8>,
        extra: usize,
    }

    impl AsyncRead for Reader {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let n = self.data.len().min(buf.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data.drain(..n);
            Poll::Ready(Ok(n + self.extra))
        }
    }

    /// Reads, for each of its reads, through a `BatonIo` of its own: the
    /// inner read finds the thread's scratch buffer in use.
    struct Nested(BatonIo<Reader>);

    impl AsyncRead for Nested {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let mut inner = ReadBuf::new(buf);
            match Pin::new(&mut self.0).poll_read(cx, inner.unfilled()) {
                Poll::Ready(Ok(())) => Poll::Ready(Ok(inner.filled().len())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        }
    }

    /// One read of `io` into a buffer of `room` bytes.
    fn read(io: &mut BatonIo<impl AsyncRead + Unpin>, room: usize) -> io::Result<Vec<u8>> {
        let mut raw = vec![0xAA; room];
        let mut buf = ReadBuf::new(&mut raw);
        let mut cx = Context::from_waker(Waker::noop());
        match Pin::new(io).poll_read(&mut cx, buf.unfilled()) {
            Poll::Ready(Ok(())) => Ok(buf.filled().to_vec()),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => unreachable!("these readers are always ready"),
        }
    }

    #[test]
    fn small_and_large_reads_bring_the_bytes() {
        let data: Vec<u8> = (0..=255).cycle().take(5000).collect();
        let mut io = BatonIo::new(Reader {
            data: data.clone(),
            extra: 0,
        });
        let mut got = Vec::new();
        // The window starts at 1 KiB (the scratch path) and grows past it
        // as reads fill it (the direct path).
        while got.len() < data.len() {
            got.extend(read(&mut io, 8192).unwrap());
        }
        assert_eq!(got, data);
        assert!(io.window.len() > super::SCRATCH_LEN);
    }

    #[test]
    fn a_reader_that_claims_too_many_bytes_is_an_error_on_both_paths() {
        for room in [100, 8192] {
            let mut io = BatonIo::new(Reader {
                data: vec![1; 10_000],
                extra: 1,
            });
            // Grow the window past the scratch buffer first, for the
            // direct path: a reader that fills it grows it.
            if room > super::SCRATCH_LEN {
                io.window.record(io.window.len(), io.window.len());
            }
            let err = read(&mut io, room).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "room {room}");
        }
    }

    #[test]
    fn a_read_inside_a_read_does_not_need_the_scratch_buffer() {
        let mut io = BatonIo::new(Nested(BatonIo::new(Reader {
            data: b"GET / HTTP/1.1\r\n\r\n".to_vec(),
            extra: 0,
        })));
        assert_eq!(read(&mut io, 8192).unwrap(), b"GET / HTTP/1.1\r\n\r\n");
    }
}
