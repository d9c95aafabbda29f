//! `UnixListener`: accepts Unix-domain stream connections.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::UnixStream;
use socket2::{Domain, SockAddr, Socket, Type};

use super::DEFAULT_BACKLOG;
use super::accept::{Backoff, listen_backlog};
use super::delegate::as_fd;
use crate::io::Async;

/// A Unix-domain socket listening for stream connections.
///
/// # Examples
///
/// ```no_run
/// use baton_protocol::net::{UnixListener, UnixStream};
///
/// # async fn demo() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join("baton-example.sock");
/// let listener = UnixListener::bind(&path)?;
/// let client = UnixStream::connect(&path).await?;
/// let (server, _peer) = listener.accept().await?;
/// # let _ = (client, server);
/// # Ok(()) }
/// ```
pub struct UnixListener {
    inner: Async<std::os::unix::net::UnixListener>,
    backoff: Backoff,
}

impl UnixListener {
    /// Binds a listener to the socket file `path` (which must not exist)
    /// and registers it with the current runtime's reactor.
    ///
    /// # Errors
    ///
    /// `bind`'s error (`AddrInUse` if `path` exists); outside a runtime, an
    /// `io::Error` carrying [`Error::NoRuntime`](crate::Error::NoRuntime).
    ///
    /// The listen backlog is [`DEFAULT_BACKLOG`];
    /// [`bind_with_backlog`](UnixListener::bind_with_backlog) picks another.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::bind_with_backlog(path, DEFAULT_BACKLOG)
    }

    /// Binds a listener to `path` like [`bind`](UnixListener::bind), with a
    /// listen backlog of `backlog` connections: how many connects the kernel
    /// queues while the listener does not accept. A non-blocking connect
    /// beyond it fails at once with `EAGAIN` (`WouldBlock`). Linux caps it
    /// silently at `/proc/sys/net/core/somaxconn`.
    ///
    /// # Errors
    ///
    /// As [`bind`](UnixListener::bind).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_protocol::net::UnixListener;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join("baton-backlog-example.sock");
    /// let listener = UnixListener::bind_with_backlog(&path, 4096)?;
    /// let (stream, _peer) = listener.accept().await?;
    /// # let _ = stream;
    /// # Ok(()) }
    /// ```
    pub fn bind_with_backlog(path: impl AsRef<Path>, backlog: u32) -> io::Result<UnixListener> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        socket.bind(&SockAddr::unix(path)?)?;
        socket.listen(listen_backlog(backlog))?;
        Ok(UnixListener {
            inner: Async::new_nonblocking(std::os::unix::net::UnixListener::from(
                std::os::fd::OwnedFd::from(socket),
            ))?,
            backoff: Backoff::new(),
        })
    }

    /// Wraps a standard listener, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// As [`Async::new`].
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            inner: Async::new(listener)?,
            backoff: Backoff::new(),
        })
    }

    /// Deregisters the listener and gives back the standard one, still in
    /// non-blocking mode.
    pub fn into_std(self) -> std::os::unix::net::UnixListener {
        self.inner.into_inner()
    }

    /// Waits for a connection and accepts it.
    ///
    /// # Errors
    ///
    /// `accept`'s error; [`Error::Closed`](crate::Error::Closed) or
    /// [`Error::Shutdown`](crate::Error::Shutdown) as `io::Error`s. After
    /// `EMFILE`, `ENFILE`, `ENOBUFS` or `ENOMEM` the next accept first waits
    /// out a pause on a reactor timer, as
    /// [`TcpListener::accept`](super::TcpListener::accept) does (policy:
    /// [`MIN_ACCEPT_BACKOFF`](super::MIN_ACCEPT_BACKOFF)).
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// The poll form of [`accept`](UnixListener::accept).
    ///
    /// # Return value
    ///
    /// `Ready` with the accepted stream and its peer's address, or an error;
    /// `Pending` with the waker stored in the reactor (for readiness, or for
    /// the end of a pause after an exhaustion error).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        match self
            .backoff
            .poll_accept(&self.inner, cx, |listener| listener.accept())
        {
            Poll::Ready(Ok((stream, addr))) => {
                Poll::Ready(UnixStream::from_std(stream).map(|stream| (stream, addr)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// `getsockname`'s error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }
}

as_fd!(UnixListener);

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixListener")
            .field(self.inner.get_ref())
            .finish()
    }
}
