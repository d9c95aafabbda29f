//! Connected file descriptors for I/O cases.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

/// A connected, non-blocking Unix stream pair.
///
/// # Errors
///
/// The OS error.
pub fn socketpair() -> io::Result<(UnixStream, UnixStream)> {
    let (a, b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    Ok((a, b))
}

/// A connected, non-blocking TCP pair on 127.0.0.1.
///
/// # Errors
///
/// The OS error.
pub fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let a = TcpStream::connect(listener.local_addr()?)?;
    let (b, _) = listener.accept()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    Ok((a, b))
}

/// A pipe with both ends non-blocking.
///
/// # Errors
///
/// The OS error.
pub fn pipe() -> io::Result<(io::PipeReader, io::PipeWriter)> {
    let (r, w) = io::pipe()?;
    super::os::set_nonblocking(r.as_fd())?;
    super::os::set_nonblocking(w.as_fd())?;
    Ok((r, w))
}

/// Writes into a non-blocking `w` until the kernel buffer is full; returns
/// the bytes written.
///
/// # Errors
///
/// Any error other than `WouldBlock`.
pub fn fill(mut w: impl Write) -> io::Result<usize> {
    let chunk = [0x5au8; 65536];
    let mut total = 0;
    loop {
        match w.write(&chunk) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(total),
            Err(e) => return Err(e),
        }
    }
}
