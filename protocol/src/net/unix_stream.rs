//! `UnixStream`: a Unix-domain stream connection.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use socket2::{Domain, SockAddr, Socket, Type};

use super::connect::connect;
use super::delegate::{as_fd, stream_io};
#[cfg(feature = "tokio-io")]
use super::tokio_io::tokio_io;
use crate::completion::OwnedBuf;
use crate::io::{Async, OwnedIo};

/// A Unix-domain stream connection.
///
/// Reads and writes go through `futures_io`'s
/// [`AsyncRead`](futures_io::AsyncRead) and
/// [`AsyncWrite`](futures_io::AsyncWrite), implemented for `UnixStream` and
/// for `&UnixStream`. `poll_close` shuts down the write half.
///
/// # Examples
///
/// ```no_run
/// use baton_protocol::net::UnixStream;
/// use futures_io::{AsyncRead, AsyncWrite};
/// use std::future::poll_fn;
/// use std::pin::Pin;
///
/// # async fn demo() -> std::io::Result<()> {
/// let (mut a, mut b) = UnixStream::pair()?;
/// poll_fn(|cx| Pin::new(&mut a).poll_write(cx, b"hi")).await?;
/// let mut buf = [0; 2];
/// poll_fn(|cx| Pin::new(&mut b).poll_read(cx, &mut buf)).await?;
/// # Ok(()) }
/// ```
pub struct UnixStream {
    inner: Async<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket file `path` without blocking the thread.
    ///
    /// # Errors
    ///
    /// `connect`'s error (`NotFound`, `ConnectionRefused`); `WouldBlock` if
    /// the listener's backlog is full (Linux gives no readiness to wait for
    /// then); outside a runtime, an `io::Error` carrying
    /// [`Error::NoRuntime`](crate::Error::NoRuntime).
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = SockAddr::unix(path)?;
        let inner = connect(Domain::UNIX, &addr).await?;
        Ok(UnixStream { inner })
    }

    /// A connected pair of streams, both registered.
    ///
    /// # Errors
    ///
    /// `socketpair`'s error; registration errors as for [`Async::new`].
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = Socket::pair(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        let wrap = |s: Socket| -> io::Result<UnixStream> {
            Ok(UnixStream {
                inner: Async::new_nonblocking(s.into())?,
            })
        };
        Ok((wrap(a)?, wrap(b)?))
    }

    /// Wraps a standard, connected stream, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// As [`Async::new`].
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            inner: Async::new(stream)?,
        })
    }

    /// Reads into an owned buffer, from its start, and gives it back with
    /// the byte count (0: end of stream): submitted to the kernel on a
    /// reactor with the [completion capability](crate::Reactor::completion),
    /// by readiness elsewhere. See [`Async::read_owned`].
    ///
    /// # Errors
    ///
    /// The read's error, in the [`BufResult`](crate::completion::BufResult).
    pub fn read_owned<B: OwnedBuf>(
        &self,
        buf: B,
    ) -> OwnedIo<'_, std::os::unix::net::UnixStream, B> {
        self.inner.read_owned_stream(buf)
    }

    /// Writes an owned buffer's bytes (possibly a prefix) and gives it back
    /// with the count. See [`Async::write_owned`].
    ///
    /// # Errors
    ///
    /// The write's error, in the [`BufResult`](crate::completion::BufResult).
    pub fn write_owned<B: OwnedBuf>(
        &self,
        buf: B,
    ) -> OwnedIo<'_, std::os::unix::net::UnixStream, B> {
        self.inner.write_owned(buf)
    }

    /// Deregisters the stream and gives back the standard one, still in
    /// non-blocking mode.
    pub fn into_std(self) -> std::os::unix::net::UnixStream {
        self.inner.into_inner()
    }

    /// The address of the peer.
    ///
    /// # Errors
    ///
    /// `getpeername`'s error.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The local address of the connection.
    ///
    /// # Errors
    ///
    /// `getsockname`'s error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half, or both.
    ///
    /// # Errors
    ///
    /// `shutdown`'s error.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }
}

stream_io!(UnixStream);
#[cfg(feature = "tokio-io")]
tokio_io!(UnixStream);
as_fd!(UnixStream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixStream")
            .field(self.inner.get_ref())
            .finish()
    }
}
