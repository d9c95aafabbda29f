//! `Interval`: ticks on a fixed grid, with a choosable missed-tick policy.

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use super::sleep::{Sleep, Target};
use crate::wait::{self, WaitFor};
use crate::{Error, coop};

/// Ticks every `period`, the first tick at once.
///
/// Equivalent to [`interval_at`] with `start` the reactor's `now()` (taken at
/// the call, or at the first tick when called outside a runtime).
///
/// # Errors
///
/// A zero `period` is an [`Error::Io`] of kind `InvalidInput`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_protocol::time::interval;
///
/// # async fn demo() -> Result<(), baton_protocol::Error> {
/// let mut every = interval(Duration::from_millis(10))?;
/// for _ in 0..3 {
///     let scheduled = every.tick().await?; // the first tick completes at once
///     # let _ = scheduled;
/// }
/// # Ok(()) }
/// ```
pub fn interval(period: Duration) -> Result<Interval, Error> {
    Interval::new(Target::After(Duration::ZERO), period)
}

/// Ticks at `start`, `start + period`, `start + 2·period`, …: instants of the
/// reactor's clock.
///
/// Ticks never drift: the k-th tick is scheduled for `start + k·period`
/// however late the previous ones completed, unless a tick is *missed*, which
/// [`MissedTickBehavior`] decides.
///
/// # Errors
///
/// A zero `period` is an [`Error::Io`] of kind `InvalidInput`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_protocol::Handle;
/// use baton_protocol::time::{MissedTickBehavior, interval_at};
///
/// # async fn demo() -> Result<(), baton_protocol::Error> {
/// let start = Handle::current()?.reactor().now() + Duration::from_millis(5);
/// let mut ticks = interval_at(start, Duration::from_millis(10))?;
/// ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
/// assert_eq!(ticks.tick().await?, start);
/// # Ok(()) }
/// ```
pub fn interval_at(start: Instant, period: Duration) -> Result<Interval, Error> {
    Interval::new(Target::At(start), period)
}

/// What an [`Interval`] does when a tick is *missed*: when the tick after the
/// one being taken is already due, because the consumer (or the whole
/// thread) was busy for longer than a period.
///
/// The default is [`Skip`](MissedTickBehavior::Skip): it keeps every tick on
/// the `start + k·period` grid, so "no drift" holds even after a stall, and
/// a consumer that fell behind is not flooded with catch-up ticks whose work
/// is usually stale anyway (tokio picks `Burst`; a periodic job that must
/// count every period can choose it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MissedTickBehavior {
    /// Every missed tick is delivered, each at once, until the schedule is
    /// caught up; then ticks continue on the original grid. No tick is lost.
    Burst,
    /// The schedule restarts from the late tick: the next one is `period`
    /// after the moment the late tick was taken. Ticks are never closer than
    /// a period, at the cost of shifting the grid.
    Delay,
    /// Missed ticks are dropped; the next tick is the first grid instant
    /// (`start + k·period`) after the moment the late tick was taken.
    #[default]
    Skip,
}

impl MissedTickBehavior {
    /// The tick after `due`, taken at `now` (`now >= due`); `None` past the
    /// clock's range.
    fn next(self, due: Instant, now: Instant, period: Duration) -> Option<Instant> {
        let next = due.checked_add(period)?;
        if next > now {
            return Some(next);
        }
        match self {
            MissedTickBehavior::Burst => Some(next),
            MissedTickBehavior::Delay => now.checked_add(period),
            MissedTickBehavior::Skip => {
                // The number of whole periods from `due` to `now`, plus one:
                // the first grid instant strictly after `now`.
                let periods = (now - due).as_nanos() / period.as_nanos() + 1;
                let offset = period.as_nanos().checked_mul(periods)?;
                let offset = Duration::new(
                    u64::try_from(offset / 1_000_000_000).ok()?,
                    // Always below 10^9, so it fits.
                    u32::try_from(offset % 1_000_000_000).ok()?,
                );
                due.checked_add(offset)
            }
        }
    }
}

/// The stream of ticks of [`interval`] and [`interval_at`].
///
/// # Implementation notes
///
/// One reactor timer at a time, armed for the next tick only while a
/// [`tick`](Interval::tick) waits for it. A tick whose instant has already
/// passed on the reactor's clock completes at once, without a timer (that is
/// how [`Burst`](MissedTickBehavior::Burst) catches up); each tick spends one
/// unit of the cooperative budget, so a bursting interval still yields.
#[derive(Debug)]
pub struct Interval {
    /// Armed for the next tick; its target *is* the schedule.
    next: Sleep,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    fn new(start: Target, period: Duration) -> Result<Interval, Error> {
        if period.is_zero() {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an interval's period must not be zero",
            )));
        }
        Ok(Interval {
            next: Sleep::new(start),
            period,
            missed: MissedTickBehavior::default(),
        })
    }

    /// Waits for the next tick.
    ///
    /// # Return value
    ///
    /// The instant the tick was scheduled for (on the reactor's clock), not
    /// the moment it completed: `start + k·period` while no tick is missed.
    ///
    /// # Errors
    ///
    /// [`Error::NoRuntime`] outside every runtime, [`Error::Shutdown`] after
    /// the reactor shut down.
    pub async fn tick(&mut self) -> Result<Instant, Error> {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; the poll form of [`tick`](Interval::tick).
    ///
    /// # Return value
    ///
    /// `Ready(Ok(instant))` with the tick's scheduled instant; `Pending` with
    /// the waker stored in the reactor timer of the next tick (or woken at
    /// once when the cooperative budget is spent). An interval whose next
    /// tick is beyond the clock's range stays pending.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Result<Instant, Error>> {
        ready!(coop::poll_proceed(cx));
        let mut now = self.next.reactor()?.now();
        let Some(due) = self.next.deadline() else {
            wait::report(WaitFor::Forever(
                "an interval tick beyond the clock's range",
            ));
            return Poll::Pending;
        };
        if due > now {
            ready!(self.next.poll_deadline(cx))?;
            // The timer fired, so the clock has reached `due`.
            now = self.next.reactor()?.now().max(due);
        }
        let next = match self.missed.next(due, now, self.period) {
            Some(next) => Target::At(next),
            None => Target::Never,
        };
        self.next.set_target(next);
        Poll::Ready(Ok(due))
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// Outside a runtime, and before the first tick found one, "now" is the
    /// first poll.
    pub fn reset(&mut self) {
        self.next.reset_after(self.period);
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The policy for missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets the policy for missed ticks; it applies from the next tick taken.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }
}
