//! Test tools for baton: reactor decorators that make time free and the
//! world hostile, for any backend, and the perturbing helpers portable code
//! needs in its tests.
//!
//! People swap the reactor in tests for two reasons, and this crate serves
//! both by *decorating* any [`Reactor`](baton_protocol::Reactor) — epoll,
//! poll(2), or your own — so the code under test runs unchanged on a real
//! executor:
//!
//! - [`VirtualTime`]: the clock moves only when the test advances it, or
//!   when every task waits and only timers are pending, straight to the next
//!   deadline. A retry loop that backs off for hours runs in milliseconds,
//!   on the local and the multi-thread executor alike, with exact and
//!   repeatable timestamps.
//! - [`Chaos`]: seeded fault injection — spurious wake-ups, readiness a turn
//!   late, empty turns, late timers, short reads and writes, injected
//!   `WouldBlock` and `Interrupted` — all within what a correct reactor may
//!   do, reproducible from a seed ([`seed`], `BATON_SEED`).
//!
//! And the small tools:
//!
//! - [`CountingWaker`]: a waker that counts its wake-ups.
//! - [`future::pending_once`] and [`future::interleave_pending`]: wrappers
//!   that return `Pending` where a plain executor would not.
//! - [`UntilIdle`]: "run until every task is blocked", from
//!   [`VirtualTime::until_idle`], [`Chaos::until_idle`] or the
//!   [`IdleProbe`] decorator.
//! - [`matrix`]: one line to run a test body on every reactor × executor
//!   pair.
//!
//! baton-testing depends on `baton-protocol` only: it knows no reactor and
//! no executor, and the tests that use it pick both.
//!
//! # Examples
//!
//! A timer an hour away, fired without waiting an hour:
//!
//! ```
//! use std::sync::Arc;
//! use std::task::{Context, Waker};
//! use std::time::Duration;
//! use baton_protocol::Reactor;
//! use baton_reactor_epoll::EpollReactor;
//! use baton_testing::{CountingWaker, VirtualTime};
//!
//! let vt = Arc::new(VirtualTime::new(EpollReactor::new()?));
//! let counter = CountingWaker::new();
//! let timer = vt.insert_timer(vt.now() + Duration::from_secs(3600), &counter.waker())?;
//!
//! // What an executor does when no task is runnable: park, saying so.
//! let real = std::time::Instant::now();
//! while counter.count() == 0 {
//!     vt.park(None, true)?;
//! }
//! assert_eq!(vt.elapsed(), Duration::from_secs(3600)); // exactly
//! assert!(real.elapsed() < Duration::from_secs(10)); // a hang guard, not a speed claim
//! assert!(vt.poll_timer(timer, &mut Context::from_waker(Waker::noop())).is_ready());
//! # Ok::<(), baton_protocol::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod chaos;
pub mod future;
mod idle;
pub mod matrix;
pub mod seed;
pub mod virtual_time;
mod wake;

#[doc(no_inline)]
pub use crate::chaos::Chaos;
pub use crate::idle::{IdleProbe, UntilIdle};
#[doc(no_inline)]
pub use crate::virtual_time::VirtualTime;
pub use crate::wake::CountingWaker;
