//! [`VirtualTime`]: a reactor decorator whose clock moves only when told to,
//! or when every task waits for a timer.

mod builder;

use std::any::Any;
use std::fmt;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::{ReactorStats, TimerKey, Turn};
use baton_protocol::{Error, Reactor};
use baton_reactor_kit::Timers;

pub use self::builder::Builder;
use crate::idle::{IdleWaiters, RECHECK, UntilIdle};

/// The autojump threshold when none is configured: how long an idle runtime
/// must see no I/O, in real time, before the clock jumps.
///
/// Loopback I/O in flight (a connect's reply, a peer thread's write) arrives
/// within microseconds on an idle machine and within a few milliseconds on
/// a loaded two-core CI runner; each jump costs this much real time, so a
/// test with a hundred sleeps still finishes in half a second.
pub const DEFAULT_AUTOJUMP_THRESHOLD: Duration = Duration::from_millis(5);

/// Why [`VirtualTime::advance`] refused to move the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdvanceError {
    /// The clock would pass the last instant an `Instant` can hold. Advance
    /// by at most `headroom`, or to the deadline you need.
    #[error(
        "advancing the virtual clock by {by:?} would take it past the last instant it can hold \
         ({headroom:?} from now); it was not moved"
    )]
    Overflow {
        /// The advance asked for.
        by: Duration,
        /// How far the clock can still move.
        headroom: Duration,
    },
}

/// One nanosecond: the smallest step of an `Instant`.
const NANO: Duration = Duration::from_nanos(1);

/// A reactor decorator with a virtual clock: time stands still until a test
/// [advances](VirtualTime::advance) it, or until every task of the runtime
/// waits and only timers are pending — then it jumps straight to the next
/// deadline (autojump, as trio's `MockClock`).
///
/// A retry loop that backs off for an hour, a cache entry that expires in a
/// day, a `timeout` of a week: under `VirtualTime` each takes a few
/// milliseconds of real time, and the instants the code observes are exact
/// and the same on every run.
///
/// # What is virtual and what is not
///
/// - **The clock.** [`now`](Reactor::now) starts at the real instant the
///   decorator was created ([`start`](VirtualTime::start)) and moves only by
///   [`advance`](VirtualTime::advance) and autojumps; it never goes back.
/// - **Timers** live in the decorator, on the virtual clock (the inner
///   reactor's own timers are not used). A timer fires exactly when the
///   clock reaches its deadline: [`resolution`](Reactor::resolution) is zero.
/// - **I/O** is real: registration, readiness and `park`'s waiting go to the
///   inner reactor, which must be a real-time one.
///
/// # Autojump
///
/// A [`park`](Reactor::park) jumps the clock to the earliest pending
/// deadline, and fires the timers due there, only when all of this holds:
///
/// - the executor says the whole runtime is idle (`runtime_idle == true`:
///   no task is runnable on any worker);
/// - a timer is pending and none is already due;
/// - the inner reactor saw no I/O event and no [`unpark`](Reactor::unpark)
///   for the whole [threshold](Builder::autojump_threshold) of *real* time
///   (default [`DEFAULT_AUTOJUMP_THRESHOLD`]), counted across consecutive
///   idle parks: I/O in flight gets that long to arrive before timers win.
///
/// So the clock never jumps while a task is runnable or while I/O arrives,
/// and a program driven only by timers sees them fire in deadline order, at
/// their exact deadlines, with no real waiting beyond the threshold per jump.
///
/// # The `timeout` of `park`
///
/// `park`'s timeout bounds the *real* time the call may block, as on any
/// reactor; a jump returns at once, within every timeout. While virtual
/// timers are pending, a park on a runtime that is not idle also returns
/// within a few milliseconds, so that an executor whose last busy worker
/// went idle meanwhile (without telling the thread parked in the reactor)
/// parks again and says so.
///
/// # Determinism
///
/// The clock moves only to timer deadlines (or by `advance`), so the
/// instants a timer-driven program observes depend only on its own
/// arithmetic: the same program gives the same trace of
/// `now() - start()` offsets on every run, every reactor and every executor
/// (`time.virtual_deterministic_trace`). Tasks woken at the same instant may
/// still run in any order on a multi-thread executor.
///
/// # Executor requirements
///
/// The executor must park with an honest `runtime_idle` (see
/// [`Reactor::park`]): a task that has been woken counts as runnable until
/// it has run — a `block_on` root future included, from its wake-up until
/// its thread polls it again — or the clock may jump while that task has
/// yet to look at it. A task woken from a foreign thread must unpark the
/// reactor, as the protocol requires of every executor. A wake-up from a
/// foreign thread that lands between the end of a quiet inner park and the
/// jump is not seen: tests that mix foreign threads with virtual timers
/// should raise the threshold or advance by hand.
///
/// # Examples
///
/// ```
/// use std::task::{Context, Poll, Waker};
/// use std::time::Duration;
/// use baton_protocol::Reactor;
/// use baton_reactor_epoll::EpollReactor;
/// use baton_testing::VirtualTime;
///
/// let vt = VirtualTime::new(EpollReactor::new()?);
/// let hour = vt.now() + Duration::from_secs(3600);
/// let timer = vt.insert_timer(hour, Waker::noop())?;
/// let mut cx = Context::from_waker(Waker::noop());
///
/// // By hand: nothing fires before the deadline, then exactly at it.
/// assert_eq!(vt.advance(Duration::from_secs(3599)), Ok(0));
/// assert!(vt.poll_timer(timer, &mut cx).is_pending());
/// assert_eq!(vt.advance(Duration::from_secs(1)), Ok(1));
/// assert!(vt.poll_timer(timer, &mut cx).is_ready());
/// vt.cancel_timer(timer);
///
/// // Autojump: idle parks with a timer pending jump to its deadline (after
/// // the threshold of real quiet, so it may take a turn or two).
/// let day = vt.now() + Duration::from_secs(86_400);
/// let timer = vt.insert_timer(day, Waker::noop())?;
/// while vt.park(None, true)?.timers_fired == 0 {}
/// assert_eq!(vt.now(), day);
/// assert_eq!(vt.elapsed(), Duration::from_secs(3600 + 86_400));
/// # vt.cancel_timer(timer);
/// # Ok::<(), baton_protocol::Error>(())
/// ```
///
/// On an executor, hand it over as the runtime's reactor and keep an `Arc`
/// to read (or steer) the clock:
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use baton_executor::Runtime;
/// use baton_protocol::time::sleep;
/// use baton_reactor_epoll::EpollReactor;
/// use baton_testing::VirtualTime;
///
/// let vt = Arc::new(VirtualTime::new(EpollReactor::new()?));
/// let rt = Runtime::builder().shared_reactor(vt.clone()).workers(4).build()?;
/// rt.block_on(sleep(Duration::from_secs(3600)))??; // a few ms of real time
/// assert_eq!(vt.elapsed(), Duration::from_secs(3600));
/// # Ok::<(), baton_protocol::Error>(())
/// ```
pub struct VirtualTime<R> {
    inner: R,
    start: Instant,
    /// The virtual clock; moves forward only.
    now: Mutex<Instant>,
    timers: Timers,
    /// `None`: no autojump, the clock moves only by `advance`.
    threshold: Option<Duration>,
    /// Serializes parks; holds what only a park touches.
    park: Mutex<ParkState>,
    /// Set by every `unpark`, cleared as a park starts: an unpark that lands
    /// after the inner park returned still vetoes that turn's jump.
    unparked: AtomicBool,
    jumps: AtomicU64,
    idle: Arc<IdleWaiters>,
    shutdown: AtomicBool,
}

#[derive(Debug, Default)]
struct ParkState {
    /// The real instant since which idle parks have seen nothing: no I/O,
    /// no unpark, no timer fired. `None` after any activity.
    quiet_since: Option<Instant>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while these locks are held (wakers are woken outside
    // them), so a poisoned lock still guards a consistent value.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `t + d`, or the latest instant that can be represented on the way there.
fn saturating_add(t: Instant, d: Duration) -> Instant {
    if let Some(sum) = t.checked_add(d) {
        return sum;
    }
    let (mut t, mut step) = (t, d / 2);
    while !step.is_zero() {
        if let Some(next) = t.checked_add(step) {
            t = next;
        }
        step /= 2;
    }
    t
}

impl<R: Reactor> VirtualTime<R> {
    /// Wraps `inner` with a virtual clock that starts now and jumps after
    /// [`DEFAULT_AUTOJUMP_THRESHOLD`] of idle quiet. [`Builder`] sets
    /// another threshold, or turns autojump off.
    pub fn new(inner: R) -> VirtualTime<R> {
        Builder::new().build(inner)
    }

    fn with_threshold(inner: R, threshold: Option<Duration>) -> VirtualTime<R> {
        let start = Instant::now();
        VirtualTime {
            inner,
            start,
            now: Mutex::new(start),
            timers: Timers::new(),
            threshold,
            park: Mutex::new(ParkState::default()),
            unparked: AtomicBool::new(false),
            jumps: AtomicU64::new(0),
            idle: Arc::default(),
            shutdown: AtomicBool::new(false),
        }
    }

    /// The wrapped reactor.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The instant the virtual clock started at: the real time when the
    /// decorator was created.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Virtual time since [`start`](VirtualTime::start): `now() - start()`,
    /// the offset traces should record (it does not depend on when the test
    /// ran).
    pub fn elapsed(&self) -> Duration {
        self.virtual_now().duration_since(self.start)
    }

    /// Moves the clock forward by `by` and fires every timer that is then
    /// due, in deadline order (equal deadlines in insertion order), waking
    /// their tasks from the calling thread.
    ///
    /// An advance that would take the clock past the last instant an
    /// `Instant` can hold is refused and moves nothing. Clamping it to that
    /// last instant instead would strand the runtime: every later `sleep`
    /// or `timeout`, even of a millisecond, would be beyond the clock's
    /// range and never fire. (To let every pending timer fire, advance to
    /// the last deadline rather than by `Duration::MAX`.)
    ///
    /// # Return value
    ///
    /// How many timers fired.
    ///
    /// # Errors
    ///
    /// [`AdvanceError::Overflow`] if `now() + by` is past the clock's range;
    /// it carries how far the clock could still go. The clock and the
    /// timers are unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use baton_protocol::Reactor;
    /// use baton_reactor_epoll::EpollReactor;
    /// use baton_testing::virtual_time::{AdvanceError, Builder};
    ///
    /// let vt = Builder::new().manual().build(EpollReactor::new()?);
    /// let before = vt.now();
    /// assert!(matches!(vt.advance(Duration::MAX), Err(AdvanceError::Overflow { .. })));
    /// assert_eq!(vt.now(), before);
    /// assert_eq!(vt.advance(Duration::from_secs(5)), Ok(0));
    /// # Ok::<(), baton_protocol::Error>(())
    /// ```
    pub fn advance(&self, by: Duration) -> Result<usize, AdvanceError> {
        let now = {
            let mut now = lock(&self.now);
            *now = now.checked_add(by).ok_or_else(|| AdvanceError::Overflow {
                by,
                headroom: saturating_add(*now, by).duration_since(*now),
            })?;
            *now
        };
        Ok(self.timers.fire_due(now))
    }

    /// How many times the clock jumped by itself so far.
    pub fn jumps(&self) -> u64 {
        self.jumps.load(Ordering::Relaxed)
    }

    /// The real time an idle runtime must stay quiet before the clock jumps;
    /// `None` when autojump is off.
    pub fn autojump_threshold(&self) -> Option<Duration> {
        self.threshold
    }

    /// A future that resolves once every task of the runtime is blocked,
    /// before the clock jumps; see [`UntilIdle`].
    ///
    /// With it, a test can let a program run until it waits, look at its
    /// state, and then move time by hand or let it jump.
    pub fn until_idle(&self) -> UntilIdle {
        UntilIdle::new(Arc::clone(&self.idle))
    }

    fn virtual_now(&self) -> Instant {
        *lock(&self.now)
    }

    /// Jumps the clock to the earliest pending deadline and fires what is
    /// due there.
    fn jump(&self) -> usize {
        let Some(deadline) = self.timers.next_deadline() else {
            return 0;
        };
        let now = {
            let mut now = lock(&self.now);
            // `advance` from another thread may have gone further already.
            if deadline > *now {
                *now = deadline;
            }
            *now
        };
        self.jumps.fetch_add(1, Ordering::Relaxed);
        self.timers.fire_due(now)
    }
}

impl<R: Reactor> Decorator for VirtualTime<R> {
    type Inner = R;

    fn inner(&self) -> &R {
        &self.inner
    }

    fn now(&self) -> Instant {
        self.virtual_now()
    }

    fn insert_timer(&self, deadline: Instant, waker: &Waker) -> Result<TimerKey, Error> {
        let (key, wake_park) = self.timers.insert(deadline, waker)?;
        if wake_park {
            Decorator::unpark(self);
        }
        Ok(key)
    }

    fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.timers.poll(key, cx)
    }

    fn reset_timer(&self, key: TimerKey, deadline: Instant) -> Result<(), Error> {
        if self.timers.reset(key, deadline)? {
            Decorator::unpark(self);
        }
        Ok(())
    }

    fn cancel_timer(&self, key: TimerKey) -> bool {
        self.timers.cancel(key)
    }

    /// None: a host loop cannot drive virtual time. The clock may jump only
    /// when the whole runtime is idle, and neither tokio nor smol tells a
    /// guest whether any of its tasks is runnable; the inner reactor's fd
    /// would wake the host for I/O but never for a virtual deadline.
    fn guest_fd(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    fn host_runtime(&self, runtime: &dyn Any) {
        self.inner.host_runtime(runtime);
    }

    /// [`Error::Unsupported`], as [`guest_fd`](Reactor::guest_fd) says why.
    fn guest_wait(&self) -> Result<Option<Instant>, Error> {
        Err(Error::Unsupported(
            "virtual time cannot be driven by a host loop: it jumps only when the runtime says it is idle",
        ))
    }

    /// One turn: I/O from the inner reactor, then the virtual timers due;
    /// on a quiet idle runtime, the idle barrier, else an autojump. See
    /// "Autojump" on [`VirtualTime`].
    fn park(&self, timeout: Option<Duration>, runtime_idle: bool) -> Result<Turn, Error> {
        if self.shutdown.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        let mut state = lock(&self.park);
        self.unparked.store(false, Ordering::Release);
        let vnow = self.virtual_now();
        // While the inner park waits, a timer made due on the virtual clock
        // must end it. With autojump, so must a new earliest timer: it
        // changes where to jump, and a park that began with no timer at all
        // (so with no bound) must come back to bound itself by the
        // threshold, or an executor whose last busy worker goes idle
        // meanwhile would never park again saying so.
        //
        // The park is announced to the timers and they are read under one
        // lock: a timer inserted after the read but before the inner park
        // still unparks it, and no cancel and insert again at the same
        // instant can fall between the announcement and the read, unseen by
        // both (see "Waking a parked reactor" on `Timers`).
        let limit = match self.threshold {
            Some(_) => None,
            None => Some(vnow.checked_add(NANO).unwrap_or(vnow)),
        };
        let (_, next) = self.timers.begin_park_with_next(limit);
        let due = next.is_some_and(|deadline| deadline <= vnow);
        let barrier = runtime_idle && self.idle.has_waiters();
        let real_now = Instant::now();
        let wait = match (self.threshold, next) {
            _ if due || barrier => Some(Duration::ZERO),
            (Some(threshold), Some(_)) if runtime_idle => {
                let since = *state.quiet_since.get_or_insert(real_now);
                let left = threshold.saturating_sub(real_now.duration_since(since));
                Some(timeout.map_or(left, |t| t.min(left)))
            }
            // Timers wait for the runtime to become idle: come back soon to
            // hear whether it has (see "The `timeout` of `park`").
            (Some(_), Some(_)) => {
                state.quiet_since = None;
                Some(timeout.map_or(RECHECK, |t| t.min(RECHECK)))
            }
            _ => {
                state.quiet_since = None;
                self.idle.bound(timeout, runtime_idle)
            }
        };
        let turn = self.inner.park(wait, runtime_idle);
        self.timers.end_park();
        let turn = turn?;
        let mut fired = self.timers.fire_due(self.virtual_now());
        let busy = !turn.is_empty() || fired > 0 || self.unparked.load(Ordering::Acquire);
        let mut released = false;
        if busy {
            state.quiet_since = None;
        } else if barrier {
            released = self.idle.notify() > 0;
        } else if let (true, Some(threshold), Some(since)) =
            (runtime_idle, self.threshold, state.quiet_since)
            && Instant::now().duration_since(since) >= threshold
        {
            fired += self.jump();
            state.quiet_since = None;
        }
        Ok(Turn::new(
            turn.events,
            turn.timers_fired + fired,
            turn.unparked || released,
        ))
    }

    fn unpark(&self) {
        self.unparked.store(true, Ordering::Release);
        self.inner.unpark();
    }

    /// Zero: a virtual timer fires exactly at its deadline.
    fn resolution(&self) -> Duration {
        Duration::ZERO
    }

    fn stats(&self) -> ReactorStats {
        let inner = self.inner.stats();
        ReactorStats::new(inner.registrations, inner.timers + self.timers.len())
    }

    fn shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        self.timers.shutdown();
        self.idle.shutdown();
        self.inner.shutdown();
    }
}

impl<R> fmt::Debug for VirtualTime<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let now = *lock(&self.now);
        f.debug_struct("VirtualTime")
            .field("elapsed", &now.duration_since(self.start))
            .field("threshold", &self.threshold)
            .field("jumps", &self.jumps.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturating_add_never_panics() {
        let t = Instant::now();
        assert_eq!(
            saturating_add(t, Duration::from_secs(1)),
            t + Duration::from_secs(1)
        );
        let far = saturating_add(t, Duration::MAX);
        assert!(far > t + Duration::from_secs(1 << 40));
        assert!(far.checked_add(Duration::from_secs(1)).is_none());
    }
}
