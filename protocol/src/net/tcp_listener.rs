//! `TcpListener`: accepts TCP connections without blocking.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use socket2::{Domain, SockRef, Socket, Type};

use super::DEFAULT_BACKLOG;
use super::TcpStream;
use super::accept::{Backoff, listen_backlog};
use super::delegate::as_fd;
use crate::io::Async;

/// A TCP socket listening for connections.
///
/// # Examples
///
/// ```no_run
/// use baton_protocol::net::TcpListener;
///
/// # async fn demo() -> std::io::Result<()> {
/// let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
/// println!("listening on {}", listener.local_addr()?);
/// loop {
///     let (stream, peer) = listener.accept().await?;
///     # let _ = (stream, peer);
/// }
/// # }
/// ```
pub struct TcpListener {
    inner: Async<std::net::TcpListener>,
    backoff: Backoff,
}

impl TcpListener {
    /// Binds a listener to `addr` (port 0 picks a free port) and registers
    /// it with the current runtime's reactor.
    ///
    /// # Errors
    ///
    /// The OS's `bind`/`listen` error; outside a runtime, an `io::Error`
    /// carrying [`Error::NoRuntime`](crate::Error::NoRuntime).
    ///
    /// The listen backlog is [`DEFAULT_BACKLOG`] (std's `bind` uses 128);
    /// [`bind_with_backlog`](TcpListener::bind_with_backlog) picks another.
    pub fn bind(addr: impl Into<SocketAddr>) -> io::Result<TcpListener> {
        TcpListener::bind_with_backlog(addr, DEFAULT_BACKLOG)
    }

    /// Binds a listener to `addr` like [`bind`](TcpListener::bind), with a
    /// listen backlog of `backlog` connections: how many completed
    /// connections the kernel queues while the listener does not accept.
    /// A burst beyond it loses connection attempts (their SYNs are dropped
    /// and retried a second or more later). Linux caps it silently at
    /// `/proc/sys/net/core/somaxconn`.
    ///
    /// As std does, the socket gets `SO_REUSEADDR` (a restarted server can
    /// bind its port while old connections linger in `TIME_WAIT`).
    ///
    /// # Errors
    ///
    /// As [`bind`](TcpListener::bind).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_protocol::net::TcpListener;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// // A server that expects bursts of thousands of connects.
    /// let listener = TcpListener::bind_with_backlog(([127, 0, 0, 1], 0), 4096)?;
    /// let (stream, _peer) = listener.accept().await?;
    /// # let _ = stream;
    /// # Ok(()) }
    /// ```
    pub fn bind_with_backlog(addr: impl Into<SocketAddr>, backlog: u32) -> io::Result<TcpListener> {
        let addr = addr.into();
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM.nonblocking(), None)?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(listen_backlog(backlog))?;
        Ok(TcpListener {
            inner: Async::new_nonblocking(std::net::TcpListener::from(socket))?,
            backoff: Backoff::new(),
        })
    }

    /// Wraps a standard listener, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// As [`Async::new`].
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            inner: Async::new(listener)?,
            backoff: Backoff::new(),
        })
    }

    /// Deregisters the listener and gives back the standard one, still in
    /// non-blocking mode.
    pub fn into_std(self) -> std::net::TcpListener {
        self.inner.into_inner()
    }

    /// Waits for a connection and accepts it.
    ///
    /// The new stream is created non-blocking and close-on-exec
    /// (`accept4`), and registered with the same runtime.
    ///
    /// # Errors
    ///
    /// `accept`'s error (`EMFILE`, for example, after which the listener
    /// still works); [`Error::Closed`](crate::Error::Closed) or
    /// [`Error::Shutdown`](crate::Error::Shutdown) as `io::Error`s.
    ///
    /// After `EMFILE`, `ENFILE`, `ENOBUFS` or `ENOMEM` the listener pauses:
    /// the next accept waits on a reactor timer, at least
    /// [`MIN_ACCEPT_BACKOFF`](super::MIN_ACCEPT_BACKOFF), before it tries
    /// again, so an accept loop needs no pause of its own and does not spin
    /// while the process is out of file descriptors.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// The poll form of [`accept`](TcpListener::accept), for hand-written
    /// futures.
    ///
    /// # Return value
    ///
    /// `Ready` with the accepted stream and its peer's address, or an error;
    /// `Pending` with the waker stored in the reactor (as a waiter for
    /// readiness, or for the end of a pause after an exhaustion error; see
    /// [`accept`](TcpListener::accept)).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (socket, addr) = match self.backoff.poll_accept(&self.inner, cx, |listener| {
            SockRef::from(listener).accept4(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
        }) {
            Poll::Ready(Ok(accepted)) => accepted,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        let Some(addr) = addr.as_socket() else {
            return Poll::Ready(Err(io::Error::other(
                "accept returned a peer address that is not IPv4 or IPv6",
            )));
        };
        let stream = std::net::TcpStream::from(socket);
        Poll::Ready(TcpStream::from_nonblocking(stream).map(|stream| (stream, addr)))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// `getsockname`'s error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The IP time-to-live of accepted connections' packets.
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
}

as_fd!(TcpListener);

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpListener")
            .field(self.inner.get_ref())
            .finish()
    }
}
