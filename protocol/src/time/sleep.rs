//! `Sleep`: one reactor timer, inserted at first poll and cancelled on drop.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use crate::reactor::TimerKey;
use crate::wait::{self, WaitFor};
use crate::{Error, Handle, Reactor, coop};

/// Waits until `duration` has passed on the reactor's clock.
///
/// The deadline is `reactor.now() + duration`, taken when `sleep` is called
/// inside a runtime, or at the first poll when it is called outside one.
///
/// # Return value
///
/// The future completes with `Ok(())` once the deadline is reached, never
/// earlier (a timer fires only when the reactor's clock has reached it).
/// A zero duration still waits for one reactor turn: the task yields once,
/// and work queued before it, I/O included, runs first. A duration too large
/// to add to the clock (`Duration::MAX`) never completes, and never panics:
/// no timer is inserted and no waker kept; the sleep reports
/// [`WaitFor::Forever`], so a task dump says the task waits for ever and the
/// lost-waker check does not count it lost.
///
/// # Errors
///
/// [`Error::NoRuntime`] when polled outside every runtime;
/// [`Error::Shutdown`] once the reactor has shut down.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # async fn demo() -> Result<(), baton_protocol::Error> {
/// baton_protocol::time::sleep(Duration::from_millis(10)).await?;
/// # Ok(()) }
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(Target::After(duration))
}

/// Waits until `deadline`, an instant of the reactor's clock
/// ([`Reactor::now`]).
///
/// # Return value
///
/// As [`sleep`]: a deadline at or before now completes after one reactor
/// turn, never inline.
///
/// # Errors
///
/// [`Error::NoRuntime`] when polled outside every runtime;
/// [`Error::Shutdown`] once the reactor has shut down.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_protocol::{Error, Handle};
///
/// # async fn demo() -> Result<(), Error> {
/// // Deadlines are on the reactor's clock, which a virtual-time reactor fakes.
/// let now = Handle::current()?.reactor().now();
/// baton_protocol::time::sleep_until(now + Duration::from_millis(5)).await?;
/// # Ok(()) }
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(Target::At(deadline))
}

/// When a [`Sleep`] ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// An instant of the reactor's clock.
    At(Instant),
    /// A duration counted from the moment a reactor is found (the first
    /// poll of a sleep created outside a runtime).
    After(Duration),
    /// Beyond the clock's range: never.
    Never,
}

/// The future of [`sleep`] and [`sleep_until`].
///
/// # Implementation notes
///
/// The reactor timer is inserted at the first poll, not at creation, so an
/// unpolled `Sleep` costs the reactor nothing. Once the timer fires it is
/// cancelled at once (its slot freed), and dropping a `Sleep` cancels a timer
/// still pending: [`ReactorStats::timers`](crate::reactor::ReactorStats) is
/// back where it was as soon as every `Sleep` has completed or been dropped.
///
/// `Sleep` is `Unpin`; [`reset`](Sleep::reset) works through `&mut Sleep` as
/// well as through `Pin<&mut Sleep>`.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    /// The reactor, once found; taken from the current runtime at creation
    /// or at the first poll.
    reactor: Option<Arc<dyn Reactor>>,
    target: Target,
    /// The reactor timer while one is pending; `None` before the first poll,
    /// after it fired, and for [`Target::Never`].
    timer: Option<TimerKey>,
    /// Whether a poll returned `Ready(Ok(()))` since the last reset.
    elapsed: bool,
}

impl Sleep {
    pub(crate) fn new(target: Target) -> Sleep {
        let mut sleep = Sleep {
            reactor: None,
            target,
            timer: None,
            elapsed: false,
        };
        if let Some(reactor) = Handle::current_reactor() {
            sleep.bind(reactor);
        }
        sleep
    }

    /// A sleep of `duration` on `reactor`'s clock, whatever runtime is
    /// entered where it is polled: for leaf futures that own a source of
    /// that reactor.
    pub(crate) fn on(reactor: Arc<dyn Reactor>, duration: Duration) -> Sleep {
        let mut sleep = Sleep {
            reactor: None,
            target: Target::After(duration),
            timer: None,
            elapsed: false,
        };
        sleep.bind(reactor);
        sleep
    }

    /// The deadline on the reactor's clock.
    ///
    /// # Return value
    ///
    /// `None` when the sleep never ends (its duration overflows the clock),
    /// and for a [`sleep`] created outside a runtime that has not been polled
    /// yet: its deadline is counted from its first poll.
    pub fn deadline(&self) -> Option<Instant> {
        match self.target {
            Target::At(deadline) => Some(deadline),
            Target::After(_) | Target::Never => None,
        }
    }

    /// Whether the sleep has completed: a poll returned `Ok(())` and no
    /// [`reset`](Sleep::reset) came after it.
    pub fn is_elapsed(&self) -> bool {
        self.elapsed
    }

    /// Moves the deadline to `deadline`, earlier or later, whether or not the
    /// sleep has completed; a completed sleep waits again.
    ///
    /// # Implementation notes
    ///
    /// A pending timer is moved in place ([`Reactor::reset_timer`]), so the
    /// waker it holds is woken at the new deadline without a new poll. If the
    /// reactor refuses (it shut down), the next poll reports the error.
    pub fn reset(&mut self, deadline: Instant) {
        self.set_target(Target::At(deadline));
    }

    /// Moves the deadline to `duration` from now on the reactor's clock, or
    /// from the first poll if no reactor was found yet.
    pub(crate) fn reset_after(&mut self, duration: Duration) {
        let target = match &self.reactor {
            Some(reactor) => after(reactor.now(), duration),
            None => Target::After(duration),
        };
        self.set_target(target);
    }

    /// Moves the deadline to `target`; see [`reset`](Sleep::reset).
    pub(crate) fn set_target(&mut self, target: Target) {
        self.target = target;
        self.elapsed = false;
        if let Some(key) = self.timer {
            let moved = match (&self.reactor, target) {
                (Some(reactor), Target::At(deadline)) => reactor.reset_timer(key, deadline).is_ok(),
                _ => false,
            };
            if !moved {
                self.cancel();
            }
        }
    }

    /// The reactor this sleep uses, found now if it was not yet: the
    /// reactor's clock resolves a pending relative duration.
    pub(crate) fn reactor(&mut self) -> Result<&Arc<dyn Reactor>, Error> {
        if self.reactor.is_none() {
            let reactor = Handle::current_reactor().ok_or(Error::NoRuntime)?;
            self.bind(reactor);
        }
        // Not `ok_or`: an error built eagerly is dropped on every poll.
        match &self.reactor {
            Some(reactor) => Ok(reactor),
            None => Err(Error::NoRuntime),
        }
    }

    fn bind(&mut self, reactor: Arc<dyn Reactor>) {
        if let Target::After(duration) = self.target {
            self.target = after(reactor.now(), duration);
        }
        self.reactor = Some(reactor);
    }

    /// The poll without the cooperative budget: [`Timeout`](super::Timeout)
    /// and [`Interval`](super::Interval) check their deadline with it, so a
    /// spent budget never hides an expiry.
    pub(crate) fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.elapsed {
            return Poll::Ready(Ok(()));
        }
        self.reactor()?;
        let Some(reactor) = &self.reactor else {
            return Poll::Ready(Err(Error::NoRuntime));
        };
        let deadline = match self.target {
            Target::At(deadline) => deadline,
            // Binding resolved every relative target; `Never` has no timer.
            Target::After(_) | Target::Never => {
                wait::report(WaitFor::Forever(BEYOND_RANGE));
                return Poll::Pending;
            }
        };
        match self.timer {
            None => {
                // Never fired inline, even for a past deadline: the reactor
                // fires it on its next turn, so a zero sleep yields once.
                self.timer = Some(reactor.insert_timer(deadline, cx.waker())?);
            }
            // Frees the fired timer's slot now rather than at drop.
            Some(key) => match reactor.poll_timer_once(key, cx) {
                Poll::Ready(result) => {
                    self.timer = None;
                    self.elapsed = result.is_ok();
                    return Poll::Ready(result);
                }
                Poll::Pending => {}
            },
        }
        wait::report(WaitFor::Deadline(deadline));
        Poll::Pending
    }

    fn cancel(&mut self) {
        if let (Some(key), Some(reactor)) = (self.timer.take(), &self.reactor) {
            reactor.cancel_timer(key);
        }
    }
}

/// What a sleep that never ends reports: no timer exists for it, so the
/// report, not a stored waker, is what tells the lost-waker check it waits.
pub(crate) const BEYOND_RANGE: &str = "a deadline beyond the clock's range";

/// `now + duration`, or [`Target::Never`] past the clock's range.
pub(crate) fn after(now: Instant, duration: Duration) -> Target {
    match now.checked_add(duration) {
        Some(deadline) => Target::At(deadline),
        None => Target::Never,
    }
}

impl Future for Sleep {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        ready!(coop::poll_proceed(cx));
        self.get_mut().poll_deadline(cx)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("target", &self.target)
            .field("timer", &self.timer)
            .field("elapsed", &self.elapsed)
            .finish_non_exhaustive()
    }
}
