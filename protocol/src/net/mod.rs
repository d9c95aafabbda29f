//! Networking: TCP, UDP and Unix-domain sockets over [`Async`](crate::io::Async).
//!
//! Each type wraps the standard library's socket in an
//! [`Async`](crate::io::Async) registered with the current runtime's reactor,
//! so it runs on every backend. The stream types implement `futures_io`'s
//! [`AsyncRead`](futures_io::AsyncRead) and
//! [`AsyncWrite`](futures_io::AsyncWrite), vectored operations included, both
//! owned and through `&`, so one task can read while another writes.
//!
//! Constructors register with the runtime entered on the calling thread:
//! outside one they fail with an `io::Error` carrying
//! [`Error::NoRuntime`](crate::Error::NoRuntime).
//!
//! Connecting never blocks the thread: the socket is created non-blocking,
//! `connect` returns `EINPROGRESS`, and the future waits for write readiness
//! and reads `SO_ERROR`, so a closed port is `ConnectionRefused`, not a hang.
//! [`TcpStream::connect`] takes a host name too (any [`ToSocketAddrs`]
//! shape): the name is resolved with [`lookup_host`] on the
//! [blocking pool](crate::task::blocking), and each address is tried in
//! turn; a literal address costs no pool trip.
//!
//! Listeners back off by themselves after `accept` runs out of a resource
//! (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`): the error is returned, and the
//! next accept waits on a reactor timer first, so an accept loop does not
//! spin while the process is out of file descriptors
//! ([`MIN_ACCEPT_BACKOFF`] has the policy).
//!
//! # tokio's I/O traits
//!
//! With the `tokio-io` feature, [`TcpStream`] and [`UnixStream`] (owned
//! and through `&`) also implement tokio's `AsyncRead` and `AsyncWrite`:
//! a crate written against those traits (a TLS or codec crate, hyper-util's
//! `TokioIo`) takes a baton stream as it is, with no `compat()` call. It is
//! a feature here, not a wrapper in an adapter crate, because only the crate
//! that owns a type may implement a foreign trait for it, and a wrapper is
//! exactly the extra call this removes. The feature costs the core nothing
//! it does not ask for: tokio without default features is the traits and
//! their buffer type, no runtime and no reactor; without the feature the
//! protocol does not depend on tokio at all.
//!
//! # Examples
//!
//! An echo round trip on loopback:
//!
//! ```no_run
//! use baton_protocol::net::{TcpListener, TcpStream};
//! use futures_io::{AsyncRead, AsyncWrite};
//! use std::future::poll_fn;
//! use std::pin::Pin;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//! let mut client = TcpStream::connect(listener.local_addr()?).await?;
//! let (mut server, _peer) = listener.accept().await?;
//!
//! poll_fn(|cx| Pin::new(&mut client).poll_write(cx, b"hi")).await?;
//! let mut buf = [0; 2];
//! let n = poll_fn(|cx| Pin::new(&mut server).poll_read(cx, &mut buf)).await?;
//! assert_eq!(&buf[..n], b"hi");
//! # Ok(()) }
//! ```

mod accept;
mod connect;
mod delegate;
mod lookup;
mod tcp_listener;
mod tcp_stream;
#[cfg(feature = "tokio-io")]
mod tokio_io;
mod udp_socket;
mod unix_datagram;
mod unix_listener;
mod unix_stream;

pub use accept::{DEFAULT_BACKLOG, MAX_ACCEPT_BACKOFF, MIN_ACCEPT_BACKOFF};
pub use lookup::{ToSocketAddrs, lookup_host};
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp_socket::UdpSocket;
pub use unix_datagram::UnixDatagram;
pub use unix_listener::UnixListener;
pub use unix_stream::UnixStream;
