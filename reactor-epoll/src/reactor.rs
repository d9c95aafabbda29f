//! [`EpollReactor`]: the `Reactor` impl, thin over the kit and the mio glue.

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

/// epoll_wait counts whole milliseconds (mio rounds up), and the kernel adds
/// its timer slack (50 µs) and the wake-up latency
/// (measured lateness in the crate documentation).
const RESOLUTION: Duration = Duration::from_millis(2);

/// A [`Reactor`] on mio: edge-triggered epoll, an eventfd for `unpark`.
///
/// See the [crate documentation](crate) for how directions map to epoll
/// flags, how re-arming works, the timer structure and the measured costs.
#[derive(Debug)]
pub struct EpollReactor {
    sources: Sources<sys::Registry>,
    timers: Timers,
    /// The waiting half; its lock serializes parks.
    park: Mutex<Park>,
    unparker: sys::Unparker,
    /// Set by `unpark` before it writes the eventfd, cleared by the park
    /// that consumes it: repeated unparks cost one syscall until then.
    unparked: AtomicBool,
}

/// What only the (serialized) park touches.
#[derive(Debug)]
struct Park {
    poller: sys::Poller,
    /// Reused between turns; empty outside a park.
    wakers: Vec<Waker>,
}

impl EpollReactor {
    /// Creates a reactor: an epoll instance and an eventfd.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the OS refuses either (out of file descriptors).
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_reactor_epoll::EpollReactor;
    ///
    /// let reactor = EpollReactor::new()?;
    /// # Ok::<(), baton_protocol::Error>(())
    /// ```
    pub fn new() -> Result<EpollReactor, Error> {
        let (poller, registry, unparker) = sys::new().map_err(Error::Io)?;
        Ok(EpollReactor {
            sources: Sources::new(registry, Mode::Edge),
            timers: Timers::new(),
            park: Mutex::new(Park {
                poller,
                wakers: Vec::new(),
            }),
            unparker,
            unparked: AtomicBool::new(false),
        })
    }
}

impl Reactor for EpollReactor {
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
            self.unparker.unpark();
        }
        Ok(key)
    }

    fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.timers.poll(key, cx)
    }

    fn reset_timer(&self, key: TimerKey, deadline: Instant) -> Result<(), Error> {
        if self.timers.reset(key, deadline)? {
            self.unparker.unpark();
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
        let wait = if self.unparked.load(Ordering::Acquire) {
            Some(Duration::ZERO)
        } else {
            until.map(|until| until.saturating_duration_since(now))
        };
        let waited = park.poller.wait(wait);
        self.timers.end_park();
        match waited {
            Ok(()) => {}
            // Decision 5: a signal ends the wait with an empty turn; the
            // next park recomputes the timeout from the timers.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(Turn::default()),
            Err(e) => return Err(Error::Io(e)),
        }
        let mut wakers = mem::take(&mut park.wakers);
        let mut events = 0;
        for (key, readiness) in park.poller.events() {
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
            self.unparker.unpark();
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
        self.unparker.unpark();
    }
}

impl Drop for EpollReactor {
    fn drop(&mut self) {
        self.shutdown();
    }
}
