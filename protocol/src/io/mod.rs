//! Asynchronous I/O on any non-blocking file descriptor: [`Async<T>`].
//!
//! [`Async`] is written once against the [`Reactor`](crate::Reactor) trait:
//! it registers a file descriptor with the current runtime's reactor and
//! turns every operation that would block into a wait on it, following the
//! readiness protocol (wait, act, clear after `WouldBlock`, wait again). The
//! [`net`](crate::net) types are thin layers over it.
//!
//! See [`Async`] for the readiness rules, closing and dropping, and an
//! example.

mod async_fd;
mod owned;
mod read_write;
mod source;

pub use async_fd::{Async, Readable, Writable};
pub use owned::OwnedIo;
