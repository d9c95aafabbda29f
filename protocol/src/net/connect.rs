//! The non-blocking connect shared by TCP and Unix streams.

use std::io;
use std::os::fd::AsFd;

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use crate::io::Async;

/// Connects a new stream socket of `domain` to `addr` without blocking the
/// thread.
///
/// The socket is created with `SOCK_NONBLOCK | SOCK_CLOEXEC`. A connect that
/// completes at once (a Unix socket, often loopback) needs no wait; one that
/// returns `EINPROGRESS` waits for write readiness, then reads `SO_ERROR`: a
/// refused connection fails with `ConnectionRefused`. A readiness with no
/// error and no peer yet was spurious, and the wait goes on.
///
/// # Errors
///
/// The socket's, `connect`'s or `SO_ERROR`'s error; a Unix socket whose
/// listener's backlog is full fails at once with `WouldBlock` (there is no
/// readiness to wait for); registration errors as for [`Async::new`].
pub(crate) async fn connect<T>(domain: Domain, addr: &SockAddr) -> io::Result<Async<T>>
where
    T: AsFd + From<Socket>,
{
    let socket = Socket::new(domain, Type::STREAM.nonblocking(), None)?;
    let in_progress = match socket.connect(addr) {
        Ok(()) => false,
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => true,
        Err(e) => return Err(e),
    };
    let stream = Async::new_nonblocking(T::from(socket))?;
    if in_progress {
        stream.write_with(|io| connected(SockRef::from(io))).await?;
    }
    Ok(stream)
}

/// Whether a connect in progress has finished: `Ok` once connected, the
/// connect's error if it failed, `WouldBlock` while it is still going on.
fn connected(socket: SockRef<'_>) -> io::Result<()> {
    if let Some(e) = socket.take_error()? {
        return Err(e);
    }
    match socket.peer_addr() {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Err(io::ErrorKind::WouldBlock.into()),
        Err(e) => Err(e),
    }
}
