//! baton: async Rust where the runtime is a choice, made in one line, at
//! run time if you like. This is the crate applications and tests depend
//! on.
//!
//! Use this crate for an application or its tests: it re-exports the await
//! protocol ([`net`], [`time`], [`io`], [`task`], [`Promise`], [`spawn`]),
//! the executors ([`executor`]), the reactors ([`reactor`]; cargo features
//! `epoll` and `poll`, both on by default), the test decorators
//! (`baton::testing`, feature `testing`), and futures-lite's I/O extension
//! traits ([`io::AsyncReadExt`], ...), so no other crate is needed. Write
//! *libraries* against `baton-protocol` alone, so that they run on
//! whatever the application picks. Start with the [`guide`]: from hello
//! world to a chat server, tested under virtual time and on every pair.
//!
//! - [`#[baton::main]`](main) runs `async fn main` (`reactor = "poll"`,
//!   `executor = "local"`, `workers = N`; `BATON_REACTOR`, `BATON_EXECUTOR`,
//!   `BATON_WORKERS` override them).
//! - `#[baton::test]` (feature `testing`) runs an `async fn` test, optionally under
//!   `virtual_time` or `chaos`, on `each_pair`, with a hang guard
//!   (`timeout = "5s"`).
//! - [`block_on`] runs a future on a default runtime, as `smol::block_on`
//!   does; [`RuntimeOptions`] picks another, from flags or the
//!   environment.
//!
//! **Errors.** [`block_on`] returns the future's own output, so code has
//! one `?` per fallible call and never `??`: building a runtime is where a
//! runtime error is reported ([`RuntimeOptions::build`]), and misusing one
//! is a panic, as in tokio ([`rt`] explains why). [`Error`] converts into
//! `std::io::Error` and `Box<dyn Error + Send + Sync>`, so `?` works in any
//! function returning those.
//!
//! # Examples
//!
//! ```
//! use baton::io::AsyncWriteExt;
//! use baton::net::{TcpListener, TcpStream};
//!
//! #[baton::main]
//! async fn main() -> Result<(), baton::Error> {
//!     let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//!     let addr = listener.local_addr()?;
//!     let server = baton::spawn(async move {
//!         let (mut stream, _) = listener.accept().await?;
//!         stream.write_all(b"hello\n").await?;
//!         Ok::<_, baton::Error>(())
//!     })?;
//!     let _client = TcpStream::connect(addr).await?;
//!     server.await?
//! }
//! ```

#![forbid(unsafe_code)]

pub mod guide;
pub mod io;
pub mod reactor;
pub mod rt;

#[doc(no_inline)]
pub use baton_executor as executor;
#[doc(no_inline)]
pub use baton_protocol::{
    Awaitable, Error, Handle, JoinHandle, Promise, TaskGroup, dump, net, promise, sleep, spawn,
    task, time, timeout, yield_now,
};
#[cfg(feature = "testing")]
#[doc(no_inline)]
pub use baton_testing as testing;
#[doc(no_inline)]
pub use futures_lite::stream;

pub use crate::rt::{RuntimeOptions, block_on};

/// Runs `async fn main` on a baton runtime: the default one (epoll, the
/// multi-thread executor, one worker per core), or the one the options
/// pick: `reactor = "epoll" | "poll"`, `executor = "multi" | "local"`,
/// `workers = N`. The variables `BATON_REACTOR`, `BATON_EXECUTOR` and
/// `BATON_WORKERS` override them when the program starts; a bad value is
/// reported (`BATON_REACTOR="kqueue": expected epoll, poll or uring`) and the
/// program exits with status 2. See [`rt::main`], which it expands to.
///
/// `main` keeps its return type: `()`, `Result<(), E>`, `ExitCode`.
///
/// # Examples
///
/// ```
/// #[baton::main(reactor = "poll", executor = "local")]
/// async fn main() -> Result<(), baton::Error> {
///     baton::sleep(std::time::Duration::from_millis(1)).await
/// }
/// ```
///
/// Misuse is a compile error that says what is wrong: a `main` that is not
/// `async`, takes arguments, or an unknown option:
///
/// ```compile_fail
/// #[baton::main(reactor = "kqueue")] // unknown value "kqueue"; expected one of: epoll, poll
/// async fn main() {}
/// ```
pub use baton_macros::main;

/// Runs an `async fn` test on a baton runtime (feature `testing`). The test
/// may return `()` or `Result<(), E>`.
///
/// By default the runtime is epoll with the local executor
/// ([`RuntimeOptions::for_tests`]); `reactor`, `executor` and `workers` pick
/// another, and `BATON_REACTOR` / `BATON_EXECUTOR` / `BATON_WORKERS`
/// override them for a whole `cargo test` run. Options:
///
/// - `virtual_time`: under [`testing::VirtualTime`] with autojump: when
///   every task waits, the clock jumps to the next timer;
/// - `chaos`, with an optional `seed = N`: under [`testing::Chaos`] fault
///   injection (without a seed, `BATON_SEED` or a fresh one, printed on
///   failure);
/// - `each_pair`: the body runs on every reactor × executor pair, and
///   **every** failing pair is reported by name;
/// - `timeout = "5s"` (`ms`, `s`, `m`): a hang guard; a test still running
///   after that long (in real time) fails with a dump of what each task
///   waits on.
///
/// It expands to a `#[test]` calling [`rt::test`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[baton::test(virtual_time, each_pair, timeout = "10s")]
/// async fn an_hour_takes_no_time() -> Result<(), baton::Error> {
///     let clock = baton::Handle::current()?;
///     let start = clock.reactor().now();
///     baton::sleep(Duration::from_secs(3600)).await?;
///     assert_eq!(clock.reactor().now() - start, Duration::from_secs(3600));
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[cfg(feature = "testing")]
pub use baton_macros::test;

/// The README's Rust examples, compiled (and run where they can) as
/// doctests of the facade, whose dev-dependencies include every crate they
/// use.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
