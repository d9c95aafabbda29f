//! [`PollReactor`]: the `Reactor` impl, thin over the kit and the polling glue.

use std::mem;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_protocol::backend::{self, Mode, Sources, Timers};
use baton_protocol::reactor::{ReactorStats, SourceKey, Tick, TimerKey, Turn};
use baton_protocol::{Direction, Error, Interest, Reactor};

use crate::sys;

/// polling waits with nanosecond timeouts (a timerfd on epoll, ppoll on
/// poll(2)); what remains is the kernel's timer slack and the wake-up latency
/// (measured lateness in the crate documentation).
const RESOLUTION: Duration = Duration::from_millis(1);

/// A [`Reactor`] on the polling crate: oneshot registrations,
/// `Poller::notify` for `unpark`; epoll, or poll(2) when built with
/// `--cfg polling_test_poll_backend`.
///
/// See the [crate documentation](crate) for how directions map to polling's
/// events, why oneshot, the timer structure and the measured costs.
#[derive(Debug)]
pub struct PollReactor {
    /// The readiness table, which owns the poller.
    sources: Sources<sys::Poller>,
    timers: Timers,
    /// The waiting half; its lock serializes parks.
    park: Mutex<Park>,
    /// Set by `unpark` before it notifies the poller, cleared by the park
    /// that consumes it: repeated unparks cost one syscall until then.
    unparked: AtomicBool,
}

/// What only the (serialized) park touches.
#[derive(Debug)]
struct Park {
    events: polling::Events,
    /// Reused between turns; empty outside a park.
    wakers: Vec<Waker>,
}

impl PollReactor {
    /// Creates a reactor: a polling instance (on epoll: an epoll fd, an
    /// eventfd and a timerfd; on poll(2): a pipe).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the OS refuses (out of file descriptors).
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_reactor_poll::PollReactor;
    ///
    /// let reactor = PollReactor::new()?;
    /// # Ok::<(), baton_protocol::Error>(())
    /// ```
    pub fn new() -> Result<PollReactor, Error> {
        let poller = sys::Poller::new().map_err(Error::Io)?;
        Ok(PollReactor {
            sources: Sources::new(poller, Mode::Oneshot),
            timers: Timers::new(),
            park: Mutex::new(Park {
                events: sys::Poller::events(),
                wakers: Vec::new(),
            }),
            unparked: AtomicBool::new(false),
        })
    }
}

impl Reactor for PollReactor {
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

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn insert_timer(&self, deadline: Instant, waker: &Waker) -> Result<TimerKey, Error> {
        let (key, wake_parker) = self.timers.insert(deadline, waker)?;
        if wake_parker {
            self.sources.registrar().notify();
        }
        Ok(key)
    }

    fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.timers.poll(key, cx)
    }

    fn reset_timer(&self, key: TimerKey, deadline: Instant) -> Result<(), Error> {
        if self.timers.reset(key, deadline)? {
            self.sources.registrar().notify();
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
        let mut park = self.park.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        // A timeout too large for an `Instant` is no limit at all.
        let limit = timeout.and_then(|t| now.checked_add(t));
        let until = self.timers.begin_park(limit);
        let until = if self.unparked.load(Ordering::Acquire) {
            Some(now)
        } else {
            until
        };
        let poller = self.sources.registrar();
        // polling retries `EINTR` itself (Decision 5 holds: no error, and
        // the deadline, computed from the timers, is kept).
        let waited = poller.wait(&mut park.events, until);
        self.timers.end_park();
        waited.map_err(Error::Io)?;
        let mut wakers = mem::take(&mut park.wakers);
        let mut events = 0;
        for (key, readiness) in sys::readiness(&park.events) {
            if self.sources.dispatch(key, readiness, &mut wakers) {
                events += 1;
            }
        }
        let unparked = self.unparked.swap(false, Ordering::AcqRel);
        drop(park);
        backend::wake_all(wakers.drain(..));
        // Give the buffer back unless another park already started.
        if let Ok(mut park) = self.park.try_lock() {
            park.wakers = wakers;
        }
        let timers_fired = self.timers.fire_due(Instant::now());
        Ok(Turn::new(events, timers_fired, unparked))
    }

    fn unpark(&self) {
        if !self.unparked.load(Ordering::Relaxed) && !self.unparked.swap(true, Ordering::AcqRel) {
            self.sources.registrar().notify();
        }
    }

    fn resolution(&self) -> Duration {
        RESOLUTION
    }

    fn stats(&self) -> ReactorStats {
        ReactorStats::new(self.sources.len(), self.timers.len())
    }

    fn shutdown(&self) {
        self.sources.shutdown();
        self.timers.shutdown();
        self.sources.registrar().notify();
    }
}

impl Drop for PollReactor {
    fn drop(&mut self) {
        self.shutdown();
    }
}
