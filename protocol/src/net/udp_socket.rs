//! `UdpSocket`: datagrams over UDP.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use super::delegate::as_fd;
use crate::io::Async;

/// A UDP socket.
///
/// An ICMP error caused by an earlier send (a "port unreachable" from a
/// peer with no listener) surfaces as the error of one later operation,
/// typically `ConnectionRefused` on a connected socket; the socket keeps
/// working afterwards.
///
/// # Examples
///
/// ```no_run
/// use baton_protocol::net::UdpSocket;
///
/// # async fn demo() -> std::io::Result<()> {
/// let a = UdpSocket::bind(([127, 0, 0, 1], 0))?;
/// let b = UdpSocket::bind(([127, 0, 0, 1], 0))?;
/// a.send_to(b"ping", b.local_addr()?).await?;
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
/// # Ok(()) }
/// ```
pub struct UdpSocket {
    inner: Async<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr` (port 0 picks a free port) and registers it
    /// with the current runtime's reactor.
    ///
    /// # Errors
    ///
    /// `bind`'s error; outside a runtime, an `io::Error` carrying
    /// [`Error::NoRuntime`](crate::Error::NoRuntime).
    pub fn bind(addr: impl Into<SocketAddr>) -> io::Result<UdpSocket> {
        UdpSocket::from_std(std::net::UdpSocket::bind(addr.into())?)
    }

    /// Wraps a standard socket, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// As [`Async::new`].
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            inner: Async::new(socket)?,
        })
    }

    /// Deregisters the socket and gives back the standard one, still in
    /// non-blocking mode.
    pub fn into_std(self) -> std::net::UdpSocket {
        self.inner.into_inner()
    }

    /// Sets the default peer for [`send`](UdpSocket::send) and
    /// [`recv`](UdpSocket::recv), and filters incoming datagrams to it. UDP
    /// connect never blocks.
    ///
    /// # Errors
    ///
    /// `connect`'s error.
    pub fn connect(&self, addr: impl Into<SocketAddr>) -> io::Result<()> {
        self.inner.get_ref().connect(addr.into())
    }

    /// Sends one datagram to `addr`.
    ///
    /// # Errors
    ///
    /// `sendto`'s error; [`Error::Closed`](crate::Error::Closed) or
    /// [`Error::Shutdown`](crate::Error::Shutdown) as `io::Error`s.
    pub async fn send_to(&self, buf: &[u8], addr: impl Into<SocketAddr>) -> io::Result<usize> {
        let addr = addr.into();
        self.inner.write_with(|s| s.send_to(buf, addr)).await
    }

    /// Waits for one datagram and copies it into `buf` (the excess of a
    /// datagram longer than `buf` is discarded).
    ///
    /// # Errors
    ///
    /// `recvfrom`'s error; [`Error::Closed`](crate::Error::Closed) or
    /// [`Error::Shutdown`](crate::Error::Shutdown) as `io::Error`s.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|s| s.recv_from(buf)).await
    }

    /// Like [`recv_from`](UdpSocket::recv_from), leaving the datagram queued.
    ///
    /// # Errors
    ///
    /// As [`recv_from`](UdpSocket::recv_from).
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|s| s.peek_from(buf)).await
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `send`'s error (`NotConnected`, or an earlier ICMP error); as
    /// [`send_to`](UdpSocket::send_to) otherwise.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_with(|s| s.send(buf)).await
    }

    /// Waits for one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// `recv`'s error (an earlier ICMP error); as
    /// [`recv_from`](UdpSocket::recv_from) otherwise.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_with(|s| s.recv(buf)).await
    }

    /// The local address of the socket.
    ///
    /// # Errors
    ///
    /// `getsockname`'s error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](UdpSocket::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }
}

as_fd!(UdpSocket);

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpSocket")
            .field(self.inner.get_ref())
            .finish()
    }
}
