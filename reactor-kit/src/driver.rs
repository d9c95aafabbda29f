//! `Driver`: a whole [`Reactor`] over an OS poller, written once.

use std::any::Any;
use std::fmt;
use std::io;
use std::mem;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::{Mode, Readiness, Registrar, Sources, Timers, wake_all};
use crate::sync::{AtomicBool, Mutex};
use baton_protocol::Error;
use baton_protocol::reactor::{
    Direction, Interest, Reactor, ReactorStats, SourceKey, Tick, TimerKey, Turn,
};

/// The OS half of a reactor: what a [`Driver`] asks of the operating system,
/// and nothing else. One implementation per poller (mio, polling, ...),
/// usually an uninhabited marker type in the reactor crate's glue module.
pub trait Os: Send + Sync + 'static {
    /// The registration half, shared by every thread; the readiness table
    /// owns it.
    type Registrar: Registrar;
    /// The waiting half (the event buffer, and the poll instance if it is
    /// separate); only the serialized park touches it.
    type Waiter: Send;

    /// How registrations behave: edge-triggered, or oneshot and re-armed.
    const MODE: Mode;
    /// The most a timer may fire late on an idle machine with this poller
    /// (what [`Reactor::resolution`] advertises).
    const RESOLUTION: Duration;

    /// Opens the poller: both halves.
    ///
    /// # Errors
    ///
    /// The OS's refusal (out of file descriptors, typically).
    fn open() -> io::Result<(Self::Registrar, Self::Waiter)>;

    /// Waits until an event arrives, `deadline` passes (never, for `None`)
    /// or [`notify`](Os::notify) is called.
    ///
    /// # Errors
    ///
    /// An error of kind `Interrupted` for a wait a signal ended (the driver
    /// turns it into an empty turn); any other OS error.
    fn wait(
        registrar: &Self::Registrar,
        waiter: &mut Self::Waiter,
        deadline: Option<Instant>,
    ) -> io::Result<()>;

    /// The events of the last wait, as `(key, readiness)`, without the
    /// notification's own.
    fn events(waiter: &Self::Waiter) -> impl Iterator<Item = (SourceKey, Readiness)> + '_;

    /// Moves into `wakers` the wakers of operations the last wait
    /// completed other than readiness (a completion reactor's owned-buffer
    /// operations, [`Reactor::completion`]), and returns how many
    /// completions there were: each counts as an event of the turn. None
    /// (the default) for a readiness-only poller.
    fn completed(waiter: &mut Self::Waiter, wakers: &mut Vec<Waker>) -> usize {
        let _ = (waiter, wakers);
        0
    }

    /// Makes the current or next wait return, from any thread.
    fn notify(registrar: &Self::Registrar);

    /// The poller's own file descriptor, if it has one that turns readable
    /// while a wait would return at once (an epoll fd does): what
    /// [`Reactor::guest_fd`] hands a host loop. `None` (the default) for a
    /// poller without one (poll(2)).
    fn guest_fd(registrar: &Self::Registrar) -> Option<BorrowedFd<'_>> {
        let _ = registrar;
        None
    }

    /// [`Reactor::host_runtime`]: the runtime of the host starting over
    /// this reactor. Ignored (the default) by a poller of the OS's own.
    fn host_runtime(registrar: &Self::Registrar, runtime: &dyn Any) {
        let _ = (registrar, runtime);
    }

    /// Called by [`Reactor::guest_wait`], before a host loop waits on the
    /// [`guest_fd`](Os::guest_fd) in place of a park: a poller that queues
    /// work for its next wait (io_uring's submissions) hands it to the OS
    /// now, and until the next park treats every new piece of work as if a
    /// park were waiting. Nothing to do (the default) for a poller whose
    /// registrations reach the OS at once.
    ///
    /// # Errors
    ///
    /// The OS's refusal.
    fn guest_prepare(registrar: &Self::Registrar) -> io::Result<()> {
        let _ = registrar;
        Ok(())
    }
}

/// A complete [`Reactor`] over an OS poller: the readiness table, the
/// timers, the park loop, `unpark` coalescing and shutdown, written once for
/// every backend. A reactor crate supplies its [`Os`] glue and wraps a
/// `Driver` in its own type.
///
/// # Implementation notes
///
/// - `park` is serialized by a mutex; the timeout is the nearest of the
///   caller's and the timers' deadlines, or zero after an `unpark`.
/// - A non-blocking `park` (a zero timeout) with no source registered makes
///   no syscall: the poller could report nothing but an unpark. It fires
///   the due timers and consumes a pending unpark, as a turn does.
/// - An `EINTR` ends the turn early and empty (Decision 5).
/// - Wakers are collected under the table's locks and woken after every lock
///   is released, each under `catch_unwind` ([`wake_all`]).
/// - `unpark` touches the OS only when no earlier unpark is still pending.
/// - Timers inserted or moved earlier than the deadline a park waits for
///   notify that park.
pub struct Driver<O: Os> {
    sources: Sources<O::Registrar>,
    timers: Timers,
    /// Set by `unpark` before it notifies the OS, cleared by the park that
    /// consumes it: unparks coalesce, and one issued before a park makes
    /// that park return at once.
    unparked: AtomicBool,
    /// Set by the first [`Reactor::guest_wait`], never cleared: a host
    /// drives this reactor through its poller fd, so every non-blocking
    /// park must empty the poller (the shortcut that skips the syscall
    /// would leave a notification queued and the fd readable for ever,
    /// spinning a level-triggered host).
    guest: AtomicBool,
    park: Mutex<ParkState<O::Waiter>>,
}

/// What only the (serialized) park uses.
struct ParkState<W> {
    waiter: W,
    /// A buffer for the wakers one turn collects, kept between turns.
    wakers: Vec<Waker>,
}

impl<O: Os> Driver<O> {
    /// Opens the OS poller and an empty driver over it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the OS refuses.
    pub fn new() -> Result<Self, Error> {
        let (registrar, waiter) = O::open().map_err(Error::Io)?;
        Ok(Self::from_parts(registrar, waiter))
    }

    /// An empty driver over a poller the reactor opened itself: for glue
    /// whose opening takes settings (a ring size) or maps the OS's refusal
    /// to an error of its own ([`Error::Unsupported`] for a kernel without
    /// the interface), which [`Os::open`] cannot.
    pub fn from_parts(registrar: O::Registrar, waiter: O::Waiter) -> Self {
        Driver {
            sources: Sources::new(registrar, O::MODE),
            timers: Timers::new(),
            unparked: AtomicBool::new(false),
            guest: AtomicBool::new(false),
            park: Mutex::new(ParkState {
                waiter,
                wakers: Vec::new(),
            }),
        }
    }

    /// The registration half of the OS glue: for a reactor whose glue
    /// offers more than readiness (completion I/O) on the same poller.
    pub fn registrar(&self) -> &O::Registrar {
        self.sources.registrar()
    }

    fn notify(&self) {
        O::notify(self.sources.registrar());
    }
}

impl<O: Os> Reactor for Driver<O> {
    fn register(&self, fd: RawFd, interest: Interest) -> Result<SourceKey, Error> {
        self.sources.register(fd, interest)
    }

    fn reregister(&self, key: SourceKey, interest: Interest) -> Result<(), Error> {
        self.sources.reregister(key, interest)
    }

    fn deregister(&self, key: SourceKey) -> Result<(), Error> {
        self.sources.deregister(key)
    }

    fn close(&self, key: SourceKey) -> Result<(), Error> {
        self.sources.close(key)
    }

    fn poll_ready(
        &self,
        key: SourceKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        self.sources.poll_ready(key, dir, cx)
    }

    fn clear_ready(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        self.sources.clear_ready(key, dir, tick)
    }

    fn clear_drained(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        self.sources.clear_drained(key, dir, tick)
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn insert_timer(&self, deadline: Instant, waker: &Waker) -> Result<TimerKey, Error> {
        let (key, wake_parker) = self.timers.insert(deadline, waker)?;
        if wake_parker {
            self.notify();
        }
        Ok(key)
    }

    fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.timers.poll(key, cx)
    }

    fn poll_timer_once(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.timers.poll_once(key, cx)
    }

    fn reset_timer(&self, key: TimerKey, deadline: Instant) -> Result<(), Error> {
        if self.timers.reset(key, deadline)? {
            self.notify();
        }
        Ok(())
    }

    fn cancel_timer(&self, key: TimerKey) -> bool {
        self.timers.cancel(key)
    }

    fn park(&self, timeout: Option<Duration>, _runtime_idle: bool) -> Result<Turn, Error> {
        if self.sources.is_shutdown() {
            return Err(Error::Shutdown);
        }
        let poll_only = timeout == Some(Duration::ZERO);
        if poll_only && self.sources.is_empty() && !self.guest.load(Ordering::Relaxed) {
            // A non-blocking turn with no source registered: the poller could
            // only report the unpark notification, so the syscall is skipped
            // (executors take such turns between task polls, e.g. after every
            // `yield_now`). An unpark still pending in the OS makes the next
            // blocking wait return at once: a spurious turn, which is allowed.
            // The clock is read only if a timer is pending.
            let unparked = self.unparked.swap(false, Ordering::AcqRel);
            let timers_fired = match self.timers.next_deadline() {
                Some(_) => self.timers.fire_due(Instant::now()),
                None => 0,
            };
            return Ok(Turn::new(0, timers_fired, unparked));
        }
        let mut park = self.park.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let deadline = if poll_only {
            // Nothing to wait for, so nothing a new timer must interrupt:
            // the timers need not look for their nearest deadline (a turn
            // a host runs after `guest_wait` ends the park that began).
            self.timers.end_park();
            Some(now)
        } else {
            // A timeout too large for an `Instant` is no limit at all.
            let limit = timeout.and_then(|t| now.checked_add(t));
            let until = self.timers.begin_park(limit);
            if self.unparked.load(Ordering::Acquire) {
                Some(now)
            } else {
                until
            }
        };
        let waited = O::wait(self.sources.registrar(), &mut park.waiter, deadline);
        if !poll_only {
            self.timers.end_park();
        }
        match waited {
            Ok(()) => {}
            // Decision 5: a signal ends the wait with an empty turn; the
            // next park recomputes the timeout from the timers.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(Turn::default()),
            Err(e) => return Err(Error::Io(e)),
        }
        let mut wakers = mem::take(&mut park.wakers);
        let mut events = 0;
        for (key, readiness) in O::events(&park.waiter) {
            if self.sources.dispatch(key, readiness, &mut wakers) {
                events += 1;
            }
        }
        events += O::completed(&mut park.waiter, &mut wakers);
        let unparked = self.unparked.swap(false, Ordering::AcqRel);
        drop(park);
        wake_all(wakers.drain(..));
        // Give the buffer back unless another park already started.
        if let Ok(mut park) = self.park.try_lock() {
            park.wakers = wakers;
        }
        // A non-blocking turn lasted one syscall: the clock read before it
        // serves (a timer that fell due meanwhile fires next turn; none fires
        // early). A wait that may have blocked reads the clock again.
        let timers_fired = self
            .timers
            .fire_due(if poll_only { now } else { Instant::now() });
        Ok(Turn::new(events, timers_fired, unparked))
    }

    fn unpark(&self) {
        if !self.unparked.load(Ordering::Relaxed) && !self.unparked.swap(true, Ordering::AcqRel) {
            self.notify();
        }
    }

    fn resolution(&self) -> Duration {
        O::RESOLUTION
    }

    fn guest_fd(&self) -> Option<BorrowedFd<'_>> {
        O::guest_fd(self.sources.registrar())
    }

    fn host_runtime(&self, runtime: &dyn Any) {
        O::host_runtime(self.sources.registrar(), runtime);
    }

    fn guest_wait(&self) -> Result<Option<Instant>, Error> {
        if self.sources.is_shutdown() {
            return Err(Error::Shutdown);
        }
        if O::guest_fd(self.sources.registrar()).is_none() {
            return Err(Error::Unsupported("this poller has no fd a host can watch"));
        }
        self.guest.store(true, Ordering::Relaxed);
        O::guest_prepare(self.sources.registrar()).map_err(Error::Io)?;
        // As a park: from here until the next park, a timer earlier than
        // the deadline returned notifies the poller, which makes its fd
        // readable. An unpark always does.
        Ok(self.timers.begin_park(None))
    }

    fn stats(&self) -> ReactorStats {
        ReactorStats::new(self.sources.len(), self.timers.len())
    }

    fn shutdown(&self) {
        self.sources.shutdown();
        self.timers.shutdown();
        self.notify();
    }
}

impl<O: Os> fmt::Debug for Driver<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("registrations", &self.sources.len())
            .field("timers", &self.timers.len())
            .field("unparked", &self.unparked.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<O: Os> Drop for Driver<O> {
    fn drop(&mut self) {
        self.shutdown();
    }
}
