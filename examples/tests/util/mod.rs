//! Shared helpers of the example tests.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Socket, Type};

/// A loopback TCP port that refuses connections until [`open`] is called.
///
/// The socket is bound but not listening: the kernel answers a connection
/// attempt with a reset (`ConnectionRefused`) yet keeps the port reserved,
/// so no other process can take it before the server "comes up", and no
/// timing decides when it does.
///
/// [`open`]: LateServer::open
pub(crate) struct LateServer {
    socket: Socket,
    addr: SocketAddr,
}

impl LateServer {
    pub(crate) fn new() -> io::Result<LateServer> {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
        let addr = socket
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("not an IP socket"))?;
        Ok(LateServer { socket, addr })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts listening: connections succeed from now on.
    pub(crate) fn open(self) -> io::Result<std::net::TcpListener> {
        self.socket.listen(16)?;
        Ok(self.socket.into())
    }
}
