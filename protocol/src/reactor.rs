//! The reactor: the OS poller, the timers and the clock behind every wait.
//!
//! This is the design note's "truth of asyncio": one thread waits in epoll (or
//! poll) on many file descriptors; each readiness wakes the task that waits for
//! it; the nearest timer deadline bounds the wait. Executors drive a reactor
//! through [`Reactor::park`]; leaf futures ([`Async`](crate::io::Async),
//! [`Sleep`](crate::time::Sleep)) talk to it through the rest of the trait.
//! Nothing here names an executor: the two meet only through these methods.

use std::any::Any;
use std::fmt;
use std::os::fd::{BorrowedFd, RawFd};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::Error;
use crate::completion::Completion;

pub use crate::wake::wake_all;

/// A direction a source is waited on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Waiting until a read (or accept, or receive) would not block.
    Read,
    /// Waiting until a write (or send, or connect completion) would not block.
    Write,
}

impl Direction {
    /// Both directions, read first.
    pub const ALL: [Direction; 2] = [Direction::Read, Direction::Write];

    /// `0` for [`Read`](Direction::Read), `1` for [`Write`](Direction::Write):
    /// an index into per-direction arrays.
    pub const fn index(self) -> usize {
        match self {
            Direction::Read => 0,
            Direction::Write => 1,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Read => "readable",
            Direction::Write => "writable",
        })
    }
}

/// The directions a registration reports readiness for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Interest {
    read: bool,
    write: bool,
}

impl Interest {
    /// Read readiness only.
    pub const READ: Interest = Interest {
        read: true,
        write: false,
    };
    /// Write readiness only.
    pub const WRITE: Interest = Interest {
        read: false,
        write: true,
    };
    /// Both directions: what [`Async`](crate::io::Async) registers.
    pub const BOTH: Interest = Interest {
        read: true,
        write: true,
    };

    /// Whether `dir` is part of this interest.
    pub const fn contains(self, dir: Direction) -> bool {
        match dir {
            Direction::Read => self.read,
            Direction::Write => self.write,
        }
    }
}

/// Identifies one registration with one reactor.
///
/// Keys are never reused while the reactor lives, even when the OS reuses the
/// file descriptor number: a key carries a generation, so a wake-up or a call
/// meant for a deregistered source can never reach a later one
/// (`rearm.deregister_suppresses_pending_event`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceKey(u64);

/// Identifies one timer of one reactor; never reused while the reactor lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerKey(u64);

/// A readiness generation, returned by [`Reactor::poll_ready`] and handed
/// back to [`Reactor::clear_ready`].
///
/// The reactor bumps it each time the OS reports the direction ready, so
/// `clear_ready` can tell "the readiness I acted on" from "a readiness that
/// arrived after my operation returned `WouldBlock`" and keeps the latter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tick(u64);

macro_rules! raw_u64 {
    ($($ty:ident),*) => {$(
        impl $ty {
            /// Builds the value from its raw number. For backend authors: the
            /// reactor that hands it out decides what the number means.
            pub const fn from_raw(raw: u64) -> Self {
                $ty(raw)
            }

            /// The raw number, as given to [`from_raw`](Self::from_raw).
            pub const fn into_raw(self) -> u64 {
                self.0
            }
        }
    )*};
}
raw_u64!(SourceKey, TimerKey, Tick);

/// What one [`Reactor::park`] turn did. Executors add these up in their
/// metrics; decorators read them to tell an idle turn from a busy one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Turn {
    /// Readiness events dispatched to registered sources (events for sources
    /// deregistered meanwhile are dropped and not counted), and completions
    /// of owned-buffer operations ([`Reactor::completion`]) reaped.
    pub events: usize,
    /// Timers that fired.
    pub timers_fired: usize,
    /// Whether an [`unpark`](Reactor::unpark) ended or preceded the wait.
    pub unparked: bool,
}

impl Turn {
    /// A turn with these counts.
    pub const fn new(events: usize, timers_fired: usize, unparked: bool) -> Self {
        Turn {
            events,
            timers_fired,
            unparked,
        }
    }

    /// Whether the turn dispatched nothing and was not unparked: the wait
    /// ended by its timeout (or spuriously, after `EINTR`).
    pub const fn is_empty(&self) -> bool {
        self.events == 0 && self.timers_fired == 0 && !self.unparked
    }
}

/// A snapshot of what a reactor holds: conformance teardown checks and
/// metrics read this, never private fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReactorStats {
    /// Live registrations (closed but not yet deregistered ones included).
    pub registrations: usize,
    /// Timers inserted and not yet cancelled, fired or not.
    pub timers: usize,
}

impl ReactorStats {
    /// A snapshot with these counts.
    pub const fn new(registrations: usize, timers: usize) -> Self {
        ReactorStats {
            registrations,
            timers,
        }
    }
}

/// An outcome a fault-injecting reactor imposes on one I/O operation, through
/// [`Reactor::io_fault`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoFault {
    /// Pretend the operation returned `WouldBlock`: the leaf future clears
    /// readiness and waits again, as after a spurious wake-up.
    WouldBlock,
    /// Pretend the operation returned `Interrupted`: the leaf future retries.
    Interrupted,
    /// Run the operation on at most this many bytes (at least one), as a
    /// short read or write would.
    Short(usize),
}

/// The OS poller, timers and clock behind every wait; object safe.
///
/// # Contracts
///
/// Every implementation holds these, and the conformance suite checks each:
///
/// - **No lost wake-ups.** Readiness that arrives between a `poll_ready` that
///   found nothing and the waker being stored still wakes that waker.
/// - **Every waiter is woken** (design Decision 1): several wakers may wait on
///   one (source, direction); readiness wakes all of them.
/// - **Timers are never early** (Decision 10): a timer fires only once
///   [`now`](Reactor::now) has reached its deadline; equal deadlines fire in
///   insertion order; a cancelled timer never fires; [`park`](Reactor::park)
///   never sleeps past the nearest deadline, and is late by at most
///   [`resolution`](Reactor::resolution) on an idle machine.
/// - **`unpark` from any thread** ends a `park` promptly, even one with no
///   timeout; an `unpark` before `park` makes that park return at once;
///   several coalesce.
/// - **Keys are never aliased**: a reused fd number never receives the wake-ups
///   of the source that had it before.
/// - **Bad input is an error value**: negative, closed or regular-file fds
///   (Decision 4: [`Error::Unsupported`]), double registration
///   ([`Error::AlreadyRegistered`]), unknown keys ([`Error::NotRegistered`]),
///   identical on every reactor and in release builds (Decision 6); no slot is
///   left behind by a failed registration.
/// - **`EINTR` in park is a spurious turn** (Decision 5): `Ok`, timers
///   recomputed.
/// - **Shutdown** ([`shutdown`](Reactor::shutdown)) wakes every waiter with
///   [`Error::Shutdown`]; every later call fails with it.
///
/// # Portability
///
/// Readiness is a hint, not a promise. A reactor may report a direction ready
/// when the operation would still block (a spurious wake-up, or another task
/// took the data first). Callers therefore drain: they run the operation until
/// it returns `WouldBlock`, then call [`clear_ready`](Reactor::clear_ready)
/// with the [`Tick`] they acted on and wait again. Edge-triggered (mio) and
/// oneshot (polling) backends look identical from above as long as callers
/// follow that rule, and [`Async`](crate::io::Async) always does.
pub trait Reactor: Send + Sync {
    /// Registers a non-blocking file descriptor for `interest`.
    ///
    /// The reactor does not own `fd`: the caller keeps it open until after
    /// [`deregister`](Reactor::deregister), and closes it itself.
    ///
    /// # Errors
    ///
    /// - a negative `fd`: [`Error::Io`] of kind `InvalidInput`;
    /// - a closed `fd`: [`Error::Io`] with `EBADF`;
    /// - a regular file or directory: [`Error::Unsupported`];
    /// - an `fd` already registered here: [`Error::AlreadyRegistered`];
    /// - after shutdown: [`Error::Shutdown`].
    fn register(&self, fd: RawFd, interest: Interest) -> Result<SourceKey, Error>;

    /// Replaces a registration's interest entirely: directions no longer in
    /// it stop reporting, and their waiters are woken so they can observe the
    /// change.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] for an unknown key, [`Error::Closed`] for a
    /// closed source, [`Error::Shutdown`] after shutdown.
    fn reregister(&self, key: SourceKey, interest: Interest) -> Result<(), Error>;

    /// Removes a registration and frees its slot. Waiters still stored are
    /// woken (and will see [`Error::NotRegistered`] if they poll again); no
    /// event already queued in the OS for this source is delivered afterwards.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] for an unknown or already deregistered key.
    /// After shutdown, deregistering is a successful no-op so owners can drop
    /// their sources in any order.
    fn deregister(&self, key: SourceKey) -> Result<(), Error>;

    /// Closes a source through the protocol (Decision 7): every waiter is
    /// woken with [`Error::Closed`] first, the OS registration is removed, and
    /// every later `poll_ready` fails at once with [`Error::Closed`]. The slot
    /// stays until [`deregister`](Reactor::deregister); the caller closes the
    /// fd afterwards.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] for an unknown key. Closing twice is `Ok`.
    fn close(&self, key: SourceKey) -> Result<(), Error>;

    /// Whether `dir` of the source is ready.
    ///
    /// # Return value
    ///
    /// - `Ready(Ok(tick))`: the direction is (or was) ready; run the
    ///   operation. If it returns `WouldBlock`, call
    ///   [`clear_ready`](Reactor::clear_ready) with `tick` and poll again.
    /// - `Pending`: `cx.waker()` is stored and will be woken when the
    ///   direction becomes ready, the source is closed or deregistered, or the
    ///   reactor shuts down. A waker that [`will_wake`](Waker::will_wake) one
    ///   already stored replaces it; other wakers are kept alongside.
    /// - `Ready(Err(e))`: [`Error::Closed`], [`Error::NotRegistered`],
    ///   [`Error::Shutdown`], or [`Error::Io`] of kind `InvalidInput` when
    ///   `dir` is not in the registration's interest.
    ///
    /// # Implementation notes
    ///
    /// Readiness stays cached until `clear_ready` with the current tick: a
    /// partial read followed by `poll_ready` is `Ready` again at once
    /// (`rearm.partial_read_stays_ready`). Wakers are woken outside every
    /// lock of the reactor.
    fn poll_ready(
        &self,
        key: SourceKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>>;

    /// Forgets the cached readiness of `dir` after an operation returned
    /// `WouldBlock`, unless a newer readiness (a tick other than `tick`)
    /// arrived meanwhile.
    ///
    /// # Implementation notes
    ///
    /// After the clear the backend must deliver a new readiness if the fd is
    /// in fact still ready, within bounded time: an edge-triggered backend
    /// re-arms (`EPOLL_CTL_MOD`), a oneshot one re-enables the interest. It
    /// must never wait for a new edge that will not come
    /// (`rearm.clear_with_data_left_no_hang`).
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`], [`Error::Closed`] or [`Error::Shutdown`];
    /// a stale tick is not an error.
    fn clear_ready(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error>;

    /// Forgets the cached readiness of `dir`, as
    /// [`clear_ready`](Reactor::clear_ready) does, for a caller that knows
    /// the fd is drained: the OS itself just answered `WouldBlock`, or a
    /// stream socket read returned less than it was asked for.
    ///
    /// # Implementation notes
    ///
    /// `clear_ready` must re-arm for callers that clear with data still
    /// buffered; after a drain there is none, and an edge-triggered poller
    /// reports the next data with a new edge on its own, so such a backend
    /// may skip the re-arm (on epoll, an `EPOLL_CTL_MOD` per wait). The
    /// default is `clear_ready`, which is always correct.
    ///
    /// # Errors
    ///
    /// As [`clear_ready`](Reactor::clear_ready).
    fn clear_drained(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        self.clear_ready(key, dir, tick)
    }

    /// The reactor's clock. Timers compare their deadlines against it; a
    /// virtual-time reactor returns its virtual instant. Never goes backwards.
    fn now(&self) -> Instant;

    /// Inserts a timer that fires at `deadline`, waking `waker`.
    ///
    /// A deadline at or before [`now`](Reactor::now) fires on the next
    /// [`park`](Reactor::park) turn, never inline (`time.past_or_zero_fires_next_turn`).
    /// Inserting a deadline earlier than the one a concurrent `park` waits
    /// for wakes that park.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after shutdown.
    fn insert_timer(&self, deadline: Instant, waker: &Waker) -> Result<TimerKey, Error>;

    /// Whether the timer has fired.
    ///
    /// # Return value
    ///
    /// `Ready(Ok(()))` once fired (and on every later poll until it is reset
    /// or cancelled); `Pending` with `cx.waker()` stored in place of the
    /// previous waker; `Ready(Err(_))` with [`Error::NotRegistered`] for an
    /// unknown key or [`Error::Shutdown`] after shutdown.
    fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>>;

    /// Polls a one-shot timer: [`poll_timer`](Reactor::poll_timer), and
    /// once that returns `Ready` the timer is removed, as by
    /// [`cancel_timer`](Reactor::cancel_timer), so `key` is unknown
    /// afterwards. What [`Sleep`](crate::time::Sleep) calls: a sleep that
    /// fired is done with its timer.
    ///
    /// # Return value
    ///
    /// As [`poll_timer`](Reactor::poll_timer).
    ///
    /// # Implementation notes
    ///
    /// The default is those two calls. A reactor whose timer table takes a
    /// lock per call may do both under one; `baton_reactor_kit`'s does,
    /// which halves the lock traffic of a fired sleep's last poll, and so
    /// the contention between workers that poll sleeps while another fires
    /// timers.
    fn poll_timer_once(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let polled = self.poll_timer(key, cx);
        if polled.is_ready() {
            self.cancel_timer(key);
        }
        polled
    }

    /// Moves a timer to `deadline`, earlier or later; a timer that already
    /// fired is armed again.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] for an unknown key, [`Error::Shutdown`] after
    /// shutdown.
    fn reset_timer(&self, key: TimerKey, deadline: Instant) -> Result<(), Error>;

    /// Removes a timer and frees its slot; it will never fire.
    ///
    /// # Return value
    ///
    /// `true` if the timer was pending (cancelling it prevented a firing),
    /// `false` if it had already fired or the key is unknown: cancelling
    /// twice is a no-op.
    fn cancel_timer(&self, key: TimerKey) -> bool;

    /// One turn of the loop: wait in the OS poller until a source is ready,
    /// the nearest timer is due, `timeout` passes or [`unpark`](Reactor::unpark)
    /// is called; then wake every ready source's waiters and every due timer.
    ///
    /// `timeout`: `None` waits for as long as the nearest timer allows;
    /// `Some(Duration::ZERO)` only collects what is ready now.
    ///
    /// `runtime_idle`: the executor's statement that no task is runnable on
    /// any of its workers. Real-time reactors ignore it; a virtual-time
    /// decorator jumps its clock only when it is `true`.
    ///
    /// # Implementation notes
    ///
    /// Parks are serialized: a concurrent call waits for the running one to
    /// return. An interrupted wait (`EINTR`) returns `Ok` with an empty
    /// [`Turn`]. Wakers are woken outside every lock.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after shutdown; [`Error::Io`] if the OS poller
    /// fails for a reason other than `EINTR`.
    fn park(&self, timeout: Option<Duration>, runtime_idle: bool) -> Result<Turn, Error>;

    /// Ends the current or next [`park`](Reactor::park) promptly, from any
    /// thread. Several calls before a park coalesce into one early return.
    fn unpark(&self);

    /// The most a timer may fire late on an idle machine with this backend
    /// (epoll_wait's millisecond, for example). Conformance checks it.
    fn resolution(&self) -> Duration;

    /// What the reactor holds now: live registrations and pending timers.
    fn stats(&self) -> ReactorStats;

    /// Shuts the reactor down: every stored waker (sources and timers) is
    /// woken and will see [`Error::Shutdown`]; every later call fails with it
    /// (but [`deregister`](Reactor::deregister), which succeeds, and
    /// [`cancel_timer`](Reactor::cancel_timer)). Idempotent. Runtimes call it
    /// when they are dropped.
    fn shutdown(&self);

    /// The guest seam, part one: a file descriptor that turns readable when
    /// a non-blocking [`park`](Reactor::park) has work to do, so that a host
    /// loop that owns the thread (tokio, smol) can drive this reactor from
    /// outside, as trio's guest mode runs trio inside asyncio or Qt.
    ///
    /// A host watches the fd with its own reactor, and whenever it is
    /// readable, or the instant [`guest_wait`](Reactor::guest_wait) returned
    /// has come, runs `park(Some(Duration::ZERO), false)`. The reactor's own
    /// tables decide what is ready and which timers are due, so every
    /// contract (timers never early, no lost wake-up) holds as under a
    /// baton executor.
    ///
    /// # Return value
    ///
    /// The same fd on every call for the reactor's whole life, open until
    /// the reactor is dropped: a host registers it once. `None` (the
    /// default) for a reactor a host cannot drive: one without
    /// a pollable poller (poll(2)), or a decorator whose clock a host cannot
    /// keep (virtual time needs the executor's word on idleness).
    fn guest_fd(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    /// The guest seam, part two: the host is about to wait for
    /// [`guest_fd`](Reactor::guest_fd) to turn readable. Returns the instant
    /// by which it must run a turn anyway (the nearest timer's deadline;
    /// `None`: no timer pending).
    ///
    /// Until the next [`park`](Reactor::park), an [`unpark`](Reactor::unpark),
    /// or a timer inserted or reset to before the returned instant, makes
    /// the fd readable, so the host learns of them without being polled.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] (the default) for a reactor without a guest
    /// fd; [`Error::Shutdown`] after shutdown.
    fn guest_wait(&self) -> Result<Option<Instant>, Error> {
        Err(Error::Unsupported(
            "this reactor cannot be driven by a host loop",
        ))
    }

    /// The guest seam, part three: a host starting over this reactor hands
    /// it the host's runtime (for tokio, its `tokio::runtime::Handle`). A
    /// reactor that registers its sources with the host's own reactor
    /// (`baton_host_tokio::TokioReactor`) keeps it, so that a registration
    /// made on a thread outside that runtime still joins it; every other
    /// reactor ignores it (the default). A decorator forwards it.
    fn host_runtime(&self, runtime: &dyn Any) {
        let _ = runtime;
    }

    /// The fault point of the protocol's I/O path: [`Async`](crate::io::Async)
    /// and the net types ask once per operation whether to impose an outcome
    /// on it. Real reactors answer `None`, at the cost of one predictable
    /// branch; fault-injecting decorators override it.
    fn io_fault(&self, key: SourceKey, dir: Direction) -> Option<IoFault> {
        let _ = (key, dir);
        None
    }

    /// The completion capability (experimental): operations with owned
    /// buffers submitted to the kernel, as io_uring runs them. The
    /// protocol's owned-buffer operations
    /// ([`Async::read_owned`](crate::io::Async::read_owned) and friends) use
    /// it when it is offered and fall back to readiness otherwise.
    ///
    /// # Return value
    ///
    /// `None` (the default): the reactor is readiness only. A decorator
    /// forwards its inner reactor's answer unless it changes the I/O path
    /// (a fault injector hides it, so that its faults apply).
    fn completion(&self) -> Option<&dyn Completion> {
        None
    }
}
