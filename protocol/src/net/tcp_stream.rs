//! `TcpStream`: a TCP connection, with a non-blocking connect.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};

use socket2::{Domain, SockAddr};

use super::connect::connect;
use super::delegate::{as_fd, stream_io};
use super::lookup::{ToSocketAddrs, each_addr};
#[cfg(feature = "tokio-io")]
use super::tokio_io::tokio_io;
use crate::completion::OwnedBuf;
use crate::io::{Async, OwnedIo};

/// A TCP connection.
///
/// Reads and writes go through `futures_io`'s
/// [`AsyncRead`](futures_io::AsyncRead) and
/// [`AsyncWrite`](futures_io::AsyncWrite), implemented for `TcpStream` and
/// for `&TcpStream` (one task reads while another writes). `poll_close`
/// shuts down the write half: the peer reads end-of-stream.
///
/// # Examples
///
/// ```no_run
/// use baton_protocol::net::TcpStream;
/// use futures_io::AsyncWrite;
/// use std::future::poll_fn;
/// use std::pin::Pin;
///
/// # async fn demo() -> std::io::Result<()> {
/// let mut stream = TcpStream::connect(([127, 0, 0, 1], 8080)).await?;
/// stream.set_nodelay(true)?;
/// poll_fn(|cx| Pin::new(&mut stream).poll_write(cx, b"GET / HTTP/1.0\r\n\r\n")).await?;
/// # Ok(()) }
/// ```
pub struct TcpStream {
    inner: Async<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr` without blocking the thread.
    ///
    /// `addr` is any [`ToSocketAddrs`] shape: a [`SocketAddr`] or an
    /// `(ip, port)` tuple (connected at once, no lookup), or a host name
    /// such as `"localhost:6379"` or `("example.com", 443)`, resolved with
    /// [`lookup_host`](super::lookup_host) on the blocking pool. Each
    /// resolved address is tried in turn, in the resolver's order, until
    /// one connects.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` for a closed port (read from `SO_ERROR` once the
    /// attempt completes), any other connect error (for a name, the last
    /// address's); the resolver's error for a name that does not resolve;
    /// outside a runtime, an `io::Error` carrying
    /// [`Error::NoRuntime`](crate::Error::NoRuntime).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// use baton_protocol::net::TcpStream;
    ///
    /// let by_addr = TcpStream::connect(([127, 0, 0, 1], 6379)).await?;
    /// let by_name = TcpStream::connect("localhost:6379").await?;
    /// # drop((by_addr, by_name)); Ok(()) }
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(addr, |addr| async move {
            let inner = connect(Domain::for_address(addr), &SockAddr::from(addr)).await?;
            Ok(TcpStream { inner })
        })
        .await
    }

    /// Wraps a standard, connected stream, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// As [`Async::new`].
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: Async::new(stream)?,
        })
    }

    /// Wraps a stream that is already non-blocking.
    pub(crate) fn from_nonblocking(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: Async::new_nonblocking(stream)?,
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
    pub fn read_owned<B: OwnedBuf>(&self, buf: B) -> OwnedIo<'_, std::net::TcpStream, B> {
        self.inner.read_owned_stream(buf)
    }

    /// Writes an owned buffer's bytes (possibly a prefix) and gives it back
    /// with the count. See [`Async::write_owned`].
    ///
    /// # Errors
    ///
    /// The write's error, in the [`BufResult`](crate::completion::BufResult).
    pub fn write_owned<B: OwnedBuf>(&self, buf: B) -> OwnedIo<'_, std::net::TcpStream, B> {
        self.inner.write_owned(buf)
    }

    /// Deregisters the stream and gives back the standard one, still in
    /// non-blocking mode.
    pub fn into_std(self) -> std::net::TcpStream {
        self.inner.into_inner()
    }

    /// The address of the peer.
    ///
    /// # Errors
    ///
    /// `getpeername`'s error (`NotConnected`).
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

    /// Whether Nagle's algorithm is off (`TCP_NODELAY`).
    ///
    /// # Errors
    ///
    /// `getsockopt`'s error.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.get_ref().nodelay()
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    ///
    /// # Errors
    ///
    /// `setsockopt`'s error.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.get_ref().set_nodelay(nodelay)
    }

    /// The IP time-to-live of outgoing packets.
    ///
    /// # Errors
    ///
    /// `getsockopt`'s error.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.get_ref().ttl()
    }

    /// Sets the IP time-to-live.
    ///
    /// # Errors
    ///
    /// `setsockopt`'s error.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.get_ref().set_ttl(ttl)
    }

    /// Shuts down the read half, the write half, or both; pending and later
    /// reads see end-of-stream, writes fail.
    ///
    /// # Errors
    ///
    /// `shutdown`'s error (`NotConnected`).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// Waits for data and copies it into `buf` without consuming it.
    ///
    /// # Errors
    ///
    /// `recv(MSG_PEEK)`'s error; [`Error::Closed`](crate::Error::Closed) or
    /// [`Error::Shutdown`](crate::Error::Shutdown) as `io::Error`s.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_with(|s| s.peek(buf)).await
    }
}

stream_io!(TcpStream);
#[cfg(feature = "tokio-io")]
tokio_io!(TcpStream);
as_fd!(TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpStream")
            .field(self.inner.get_ref())
            .finish()
    }
}
