//! An HTTP server and client on hyper, run on baton through `baton-hyper`
//! (binary `http`).
//!
//! The server speaks HTTP/1.1 and HTTP/2 over cleartext (h2c, "prior
//! knowledge") on one port, and serves [`routes`]: `/` (hello), `/echo`
//! (the request body streamed back) and `/sleep?ms=N` (a protocol timer).
//! Against slow and idle clients it has two deadlines, both on the
//! runtime's clock, so both follow virtual time in tests:
//!
//! - the **header-read timeout** (hyper's, through
//!   [`BatonTimer`](baton_hyper::BatonTimer)): an HTTP/1 request whose head
//!   is not complete in time ends its connection (hyper closes it without
//!   a reply), which is what cuts off a slowloris client;
//! - the **idle timeout** ([`server`]'s own): a connection with no request
//!   in flight for that long is shut down gracefully, whatever protocol it
//!   speaks, a client that connects and sends nothing included.
//!
//! Shutdown is graceful ([`server::serve`]): once asked (the binary asks
//! on SIGINT or SIGTERM, [`signal`]), the server stops accepting, lets the
//! requests in flight finish within a drain deadline, then cancels what is
//! left. A handler that panics costs its request a `500`, nothing more.
//!
//! [`client`] is the other side: one request with hyper's client, HTTP/1.1
//! or HTTP/2.

pub mod client;
pub mod routes;
pub mod server;
pub mod signal;

pub use client::{Fetched, Version, fetch};
pub use server::{Config, serve};
