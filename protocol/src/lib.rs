//! The await protocol of baton: what async code needs from a runtime, and
//! what a runtime must provide, with no event loop of its own.
//!
//! Use this crate when you write a library that should run on whatever
//! runtime the application picks: [`sleep`], [`timeout`], the [`net`]
//! sockets, [`io::Async`], [`Promise`], [`spawn`], [`TaskGroup`], Unix
//! [`signal`]s and child [`process`]es are written once against the
//! [`Reactor`] and [`Spawn`] traits. Implement those traits when you write
//! a backend (`baton-reactor-kit` has the shared bookkeeping, [`decorate`]
//! wraps an existing reactor; [`completion`] is the optional, experimental
//! capability of owned-buffer I/O a completion reactor such as io_uring
//! offers). See also `baton-executor`
//! (executors and `block_on`), `baton-reactor-epoll` / `baton-reactor-poll`
//! (reactors), `baton-testing` (virtual time and fault injection),
//! `baton-conformance` (the suite that proves a backend is a drop-in), and
//! [`testing::Stepper`] to drive any future by hand.
//!
//! What a library needs beyond sockets is here too, portable the same way:
//! [`task::spawn_blocking`] and [`unblock::Unblock`] for blocking work (on
//! the runtime's [blocking pool](task::blocking)), [`fs`] for files,
//! [`net::lookup_host`] and connecting by host name, and [`time::now`],
//! **the one clock portable code should read** (it is virtual under a
//! virtual-time reactor, where `Instant::now()` would escape into real
//! time).
//!
//! # Companions
//!
//! The protocol has no Mutex, channel or Notify of its own, on purpose:
//! the small runtime-agnostic crates already do them well, need nothing
//! from a runtime but wakers, and are checked on every reactor × executor
//! pair (`baton-testing`'s `sync_companions` test). Use
//! [async-lock](https://docs.rs/async-lock) (`Mutex`, `RwLock`,
//! `Semaphore`, `Barrier`, `OnceCell`),
//! [async-channel](https://docs.rs/async-channel) (bounded and unbounded
//! MPMC channels) and [event-listener](https://docs.rs/event-listener)
//! (`Event`: tokio's `Notify`, asyncio's `Event`). Bound their waits with
//! [`timeout`]: it runs on the reactor's clock, virtual or not.
//!
//! The design note this project starts from maps onto these names in
//! [`awaitable`]: asyncio's Future is [`Promise`], `yield self` is a
//! `Pending` plus a [`wait`] report, the selector loop is a [`Reactor`].
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! use baton_protocol::promise::{DoneCallback, Promise};
//! use baton_protocol::testing::Stepper;
//! use baton_protocol::wait::WaitFor;
//! use baton_protocol::Error;
//!
//! /// Library code: it knows only the protocol, so it runs on any executor
//! /// and any reactor the application picks.
//! async fn greet(reply: &Promise<String>) -> Result<String, Error> {
//!     let name = reply.await?;
//!     Ok(format!("hello, {name}"))
//! }
//!
//! // No executor here: drive the coroutine by hand, as the design note does
//! // with `coro.send(None)`.
//! let reply = Promise::new();
//! reply.add_done_callback(DoneCallback::new(|p: &Promise<String>| {
//!     assert!(p.done());
//! }));
//! let mut task = Stepper::new(greet(&reply));
//!
//! // It suspends, and says what it waits on.
//! assert_eq!(task.step().waits_on(), Some(WaitFor::Promise(reply.id())));
//!
//! // Complete the Promise by hand, as an event loop's I/O callback would.
//! reply.set_result("ada".to_owned())?;
//! assert!(task.woken());
//! assert_eq!(task.step().ready().transpose()?.as_deref(), Some("hello, ada"));
//!
//! // What needs a reactor says so with an error value, never a panic.
//! let mut nap = Stepper::new(baton_protocol::sleep(Duration::from_millis(10)));
//! assert!(matches!(nap.step().ready(), Some(Err(Error::NoRuntime))));
//! # Ok::<(), Error>(())
//! ```

// `sys` alone may use `unsafe` (three system calls std lacks); every
// other module is checked by this lint.
#![deny(unsafe_code)]

pub mod awaitable;
pub mod completion;
pub mod coop;
pub mod decorate;
pub mod dump;
mod error;
pub mod fs;
mod handle;
pub mod io;
pub mod net;
pub mod process;
pub mod promise;
pub mod reactor;
pub mod signal;
mod sync;
#[allow(
    unsafe_code,
    reason = "the crate's only unsafe: sigaction and pidfd_open, wrapped once"
)]
mod sys;
pub mod task;
pub mod testing;
pub mod time;
pub mod unblock;
pub mod wait;
mod wake;

#[cfg(all(test, loom))]
mod loom;

#[doc(no_inline)]
pub use crate::awaitable::Awaitable;
pub use crate::error::Error;
pub use crate::handle::{EnterGuard, ErrorHook, Handle};
#[doc(no_inline)]
pub use crate::reactor::{Direction, Interest, Reactor};
#[doc(no_inline)]
pub use crate::task::{JoinHandle, Spawn, TaskGroup, spawn, spawn_blocking, yield_now};
// Re-exports added by the leaf-future modules go below this line.
#[doc(no_inline)]
pub use crate::io::Async;
#[doc(no_inline)]
pub use crate::promise::Promise;
#[doc(no_inline)]
pub use crate::time::{sleep, timeout};
