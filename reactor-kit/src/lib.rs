//! The kit for reactor authors: the bookkeeping every reactor needs, written
//! once, with no poller and no event loop.
//!
//! Use this crate when you write a reactor or a host for baton: library code
//! never needs it (it depends on `baton-protocol` only). See also
//! `baton-reactor-epoll`, `baton-reactor-poll` and `baton-reactor-uring`,
//! three reactors built on it, and `baton-conformance`, the suite that
//! proves a new one is a drop-in.
//!
//! A [`Reactor`](baton_protocol::Reactor) is three things: an OS poller, a table of
//! sources with their cached readiness and waiters, and a table of timers.
//! Only the first differs between backends. This module is the other two:
//!
//! - [`Sources`]: the readiness table (register, poll, clear, close,
//!   deregister, dispatch of OS events, shutdown), driving the poller through
//!   the small [`Registrar`] trait and re-arming it per its [`Mode`] (edge or
//!   oneshot).
//! - [`Timers`]: the timer table (insert, poll, reset, cancel, fire what is
//!   due), with no clock of its own, so a virtual-time reactor reuses it with
//!   virtual instants.
//!
//! Together they implement every method of the trait except `park`,
//! `unpark`, `now` and `resolution`, with the contract's error values,
//! generations on every key, and every waker woken outside the tables'
//! locks. Both tables are `Send + Sync` and lock internally; the reactor
//! needs no lock of its own around them.
//!
//! # What the reactor must still do
//!
//! - **The poller**: implement [`Registrar`] (add, arm, delete; map `EPERM`
//!   on a regular file to [`Error::Unsupported`](baton_protocol::Error::Unsupported),
//!   keep `EBADF` as [`Error::Io`](baton_protocol::Error::Io)), and wait on it.
//!   An OS poller keeps nothing per registration (`type Source = ()`); a
//!   poller that is another runtime's reactor (`baton-host-tokio`'s
//!   `TokioReactor`, over tokio's) keeps its registration in the slot
//!   ([`Registrar::Source`]) and reports readiness when the table asks
//!   ([`Registrar::poll_source`]) instead of through `dispatch`.
//! - **The park**, serialized: [`Timers::begin_park`] gives the instant the
//!   wait may last until; wait (rounding the timeout *up* to the poller's
//!   granularity, never down); [`Timers::end_park`]; turn each event into
//!   [`Sources::dispatch`] and wake the collected wakers outside every lock;
//!   then [`Timers::fire_due`] with the reactor's clock. `EINTR` is an empty
//!   turn, not an error.
//! - **The unpark**: wake the poller from any thread, coalesced with an
//!   atomic flag; and wake it when [`Timers::insert`] or [`Timers::reset`]
//!   return `true` (a deadline earlier than the one the park waits for).
//! - **Shutdown**: call both tables' `shutdown`, unpark, and fail `park`
//!   with [`Error::Shutdown`](baton_protocol::Error::Shutdown) afterwards.
//!
//! # Examples
//!
//! The timer table on its own, with the caller's clock:
//!
//! ```
//! use std::task::Waker;
//! use std::time::{Duration, Instant};
//! use baton_reactor_kit::Timers;
//!
//! let timers = Timers::new();
//! let now = Instant::now();
//! let (key, wake_parker) = timers.insert(now + Duration::from_millis(5), Waker::noop())?;
//! assert!(!wake_parker); // no park in progress
//! assert_eq!(timers.next_deadline(), Some(now + Duration::from_millis(5)));
//! assert_eq!(timers.fire_due(now), 0); // never early
//! assert_eq!(timers.fire_due(now + Duration::from_millis(5)), 1);
//! assert!(!timers.cancel(key)); // already fired: cancelling frees the slot
//! assert_eq!(timers.len(), 0);
//! # Ok::<(), baton_protocol::Error>(())
//! ```

#![forbid(unsafe_code)]

mod driver;
mod guest;
mod host;
mod hosted;
mod pages;
mod sources;
mod sync;
mod timers;

#[cfg(all(test, loom))]
mod loom;

pub use self::driver::{Driver, Os};
pub use self::guest::{GuestFdWatch, GuestTurns, HostTimer};
pub use self::host::{HostState, LiveTask, PollGate};
pub use self::hosted::Hosted;
pub use self::sources::{Mode, Readiness, Registrar, Sources};
pub use self::timers::Timers;
/// Wakes collected wakers outside every lock, each panic contained. It
/// lives in the protocol (its socket leaf futures fan wake-ups out too);
/// here so that reactor authors find the whole kit in one place.
#[doc(no_inline)]
pub use baton_protocol::reactor::wake_all;
