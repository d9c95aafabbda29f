//! hyper on baton: the `hyper::rt` glue over `baton-protocol`, so hyper's
//! servers and clients run on every baton runtime (any reactor, any
//! executor, virtual time included) and on every host.
//!
//! Use this crate when you serve or fetch HTTP with hyper 1.x on baton. It
//! is to baton what hyper-util's `rt::tokio` module is to tokio, three small
//! types, each wrapping one thing:
//!
//! - [`BatonIo`]: any futures-io stream (every [`baton_protocol::net`]
//!   stream) as hyper's `Read` + `Write`, with vectored writes;
//! - [`BatonExecutor`]: hyper's background tasks (HTTP/2 streams) spawned
//!   through the protocol;
//! - [`BatonTimer`]: hyper's timeouts on the runtime's clock
//!   ([`baton_protocol::time::now`]), so they follow virtual time.
//!
//! Crates written against tokio's I/O traits need no wrapper at all: with
//! `baton-protocol`'s `tokio-io` feature the net streams implement
//! `tokio::io::AsyncRead` and `AsyncWrite` themselves (see that crate's
//! `net` module for why it is a feature there and not a wrapper here).
//!
//! See also the `http` example of `baton-examples`: HTTP/1.1 and h2c, timeouts
//! against slow clients, graceful shutdown, and a client mode.
//!
//! # Examples
//!
//! A server and a client, HTTP/1.1, on one runtime:
//!
//! ```
//! use std::convert::Infallible;
//!
//! use baton::net::{TcpListener, TcpStream};
//! use baton_hyper::{BatonIo, BatonTimer};
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::body::{Bytes, Incoming};
//! use hyper::{Request, Response};
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from("hello"))))
//! }
//!
//! #[baton::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//!     let addr = listener.local_addr()?;
//!     baton::spawn(async move {
//!         let (stream, _) = listener.accept().await?;
//!         hyper::server::conn::http1::Builder::new()
//!             .timer(BatonTimer::new())
//!             .serve_connection(BatonIo::new(stream), hyper::service::service_fn(hello))
//!             .await
//!             .map_err(std::io::Error::other)
//!     })?
//!     .detach();
//!
//!     let stream = TcpStream::connect(addr).await?;
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(BatonIo::new(stream)).await?;
//!     baton::spawn(conn)?.detach();
//!     let request = Request::get("/").header("host", "localhost").body(Empty::<Bytes>::new())?;
//!     let response = sender.send_request(request).await?;
//!     assert!(response.status().is_success());
//!     assert_eq!(response.into_body().collect().await?.to_bytes(), "hello");
//!     Ok(())
//! }
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod executor;
mod io;
mod read_window;
mod timer;

pub use crate::executor::BatonExecutor;
pub use crate::io::BatonIo;
pub use crate::timer::{BatonSleep, BatonTimer};
