//! [`Chaos`]: a reactor decorator that injects seeded, reproducible faults.

mod builder;
mod dice;
mod fault;

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_protocol::completion::Completion;
use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::{IoFault, ReactorStats, SourceKey, Tick, TimerKey, Turn};
use baton_protocol::{Direction, Error, Interest, Reactor};
use baton_reactor_kit::Timers;

pub use self::builder::Builder;
use self::builder::Rates;
use self::dice::Dice;
use self::fault::Counters;
pub use self::fault::{Fault, FaultCounts};
use crate::idle::{IdleWaiters, UntilIdle};

/// A reactor decorator that makes the world hostile, reproducibly: spurious
/// wake-ups, readiness reported a turn late, empty turns (as after `EINTR`),
/// timers fired late, and — through the protocol's I/O fault point — short
/// reads and writes and injected `WouldBlock` and `Interrupted`.
///
/// Every decision comes from the seed: given the same seed and the same
/// sequence of calls, `Chaos` injects the same faults, so a failure found
/// with seed `N` replays with seed `N`. Decisions are drawn from separate
/// streams per (source, direction) and for the reactor's turns, so the
/// faults one socket meets do not depend on what other sockets (or other
/// worker threads) do.
///
/// # Faults, and the contract each one keeps
///
/// `Chaos` only does what a correct real reactor may do; code that follows
/// the protocol (drain until `WouldBlock`, re-check after every wake-up,
/// expect timers late but never early) must not notice, and code that does
/// not is caught.
///
/// | fault | what happens | why it is still within the contract |
/// |---|---|---|
/// | spurious wake-up | `poll_ready` stored the waker (not ready); it is also woken at the next turn | spurious wake-ups are allowed; the waker stays stored in the inner reactor, so the real readiness still wakes it |
/// | delayed readiness | `poll_ready` is ready with a readiness it has not reported yet, but answers `Pending`; the waker is woken at the next turn | readiness reported late, never lost: the held waker is woken by the next `park`, and the inner reactor keeps the readiness cached; a readiness once reported is reported again at once, as the contract requires |
/// | empty turn | `park` returns an empty [`Turn`] at once | Decision 5: `EINTR` is a spurious turn; the next park recomputes timers |
/// | late timers | the park waits up to `by` past the next deadline, and fires only the timers due at its start or at least `by` ago (`by` ≤ the inner [`resolution`](Reactor::resolution)) | never early; a timer due before the turn fires on it; still in deadline order (equal deadlines in insertion order); late by at most the advertised resolution, which `Chaos` reports as twice the inner one |
/// | `WouldBlock` | the operation does not run and reports `WouldBlock` | the caller clears readiness with its tick; the inner reactor re-arms and reports the direction again if it is still ready |
/// | `Interrupted` | the operation does not run and reports `Interrupted` | the caller retries |
/// | short read / write | the operation moves at most 1..=`max_short` bytes | any read or write may be short |
///
/// And for every fault: no lost wake-up (every waker held back is woken by
/// the next `park`, whose turn counts it as an event, so the park never
/// sleeps on it); timers never early; no event for a deregistered key, and
/// no extra wake-up once the inner reactor has woken a source's waiters
/// itself (`close`, `deregister`, `reregister` dropping a direction,
/// `shutdown`: a delayed readiness held for it is woken at once, uncounted,
/// and a spurious wake-up dropped); an `unpark` is never swallowed by an
/// empty turn; at most three faults in a row per stream, so every retry
/// loop progresses whatever the rates.
///
/// # Timers
///
/// With late timers enabled and an inner reactor whose resolution is not
/// zero, `Chaos` keeps the timers itself, on the inner reactor's clock, and
/// bounds the inner `park` by their deadlines. Otherwise timers go to the
/// inner reactor untouched. So `Chaos` composes with
/// [`VirtualTime`](crate::VirtualTime) both ways:
/// `VirtualTime::new(Chaos::new(epoll, seed))` (virtual timers, hostile
/// I/O and turns) and `Chaos::new(VirtualTime::new(epoll), seed)` (whose
/// zero resolution leaves the timers virtual and exact).
///
/// # Replaying a failure
///
/// [`seed`](Chaos::seed) gives the seed; a `Chaos` dropped while its thread
/// panics (a failing test that owns the runtime) prints it. Take the seed
/// from [`seed::test_seed`](crate::seed::test_seed) so that setting
/// `BATON_SEED` replays the run; with [`Builder::record`], [`faults`]
/// lists every decision that injected something.
///
/// [`faults`]: Chaos::faults
///
/// # Examples
///
/// ```
/// use std::task::{Context, Poll};
/// use baton_protocol::{Direction, Interest, Reactor};
/// use baton_reactor_epoll::EpollReactor;
/// use baton_testing::{CountingWaker, chaos};
///
/// // Every pending poll gets a spurious wake-up at the next turn.
/// let chaos = chaos::Builder::new().quiet().spurious_wake(1.0).build(EpollReactor::new()?, 7);
/// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
/// let key = chaos.register(std::os::fd::AsRawFd::as_raw_fd(&a), Interest::READ)?;
///
/// let counter = CountingWaker::new();
/// let waker = counter.waker();
/// let mut cx = Context::from_waker(&waker);
/// assert!(chaos.poll_ready(key, Direction::Read, &mut cx).is_pending());
/// let turn = chaos.park(None, true)?; // returns at once: a wake-up was due
/// assert_eq!(turn.events, 1);
/// assert_eq!(counter.count(), 1);
/// // Woken, but not readable: the next poll is Pending again.
/// assert!(chaos.poll_ready(key, Direction::Read, &mut cx).is_pending());
/// chaos.deregister(key)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Chaos<R> {
    inner: R,
    seed: u64,
    rates: Rates,
    /// Whether timers live here (late timers on a real-time inner reactor)
    /// rather than in the inner reactor.
    owns_timers: bool,
    /// The most a turn may hold timers back: the inner resolution.
    max_late: Duration,
    timers: Timers,
    sources: Mutex<HashMap<(SourceKey, Direction), SourceDice>>,
    turns: Mutex<TurnDice>,
    /// Wakers to wake at the next park: spurious wake-ups and readiness
    /// held back.
    held: Mutex<Vec<Held>>,
    /// Set by `unpark`, cleared by the park that calls the inner one: a
    /// park with an unpark pending is never made an empty turn, so it
    /// reports the unpark as the contract requires.
    unpark_pending: AtomicBool,
    /// Set by a turn made empty without parking the inner reactor, cleared
    /// by [`guest_wait`](Reactor::guest_wait): the events that turn left
    /// queued in the inner poller will not turn its fd readable again, so
    /// a host must run the next turn at once.
    skipped: AtomicBool,
    /// Serializes parks, so a turn's decisions and its release of held
    /// wakers happen together.
    park: Mutex<()>,
    idle: Arc<IdleWaiters>,
    log: Option<Mutex<Vec<Fault>>>,
    counters: Counters,
    shutdown: AtomicBool,
}

/// A wake-up held back until the next park.
#[derive(Debug)]
struct Held {
    key: SourceKey,
    dir: Direction,
    /// A spurious wake-up: the inner reactor stored the waker as well and
    /// wakes it whenever the source changes. Otherwise a delayed readiness,
    /// whose waker only this entry holds.
    spurious: bool,
    waker: Waker,
}

/// The decision streams of one direction of one source.
#[derive(Debug)]
struct SourceDice {
    ready: Dice,
    io: Dice,
    /// The last readiness `poll_ready` let through: it stays cached in the
    /// inner reactor, and the contract says a cached readiness is reported
    /// again at once (`rearm.partial_read_stays_ready`), so only a new one
    /// may be delayed.
    reported: Option<Tick>,
}

/// The decision streams of the reactor's turns.
#[derive(Debug)]
struct TurnDice {
    empty: Dice,
    late: Dice,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Wakers are woken outside these locks and nothing else under them
    // panics, so a poisoned lock still guards a consistent value.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<R: Reactor> Chaos<R> {
    /// Wraps `inner` with the default rates (see [`Builder`], which sets
    /// others), deciding every fault from `seed`.
    pub fn new(inner: R, seed: u64) -> Chaos<R> {
        Builder::new().build(inner, seed)
    }

    fn with_builder(inner: R, seed: u64, builder: Builder) -> Chaos<R> {
        let rates = builder.rates;
        let max_late = inner.resolution();
        Chaos {
            owns_timers: rates.late_timers > 0.0 && !max_late.is_zero(),
            max_late,
            inner,
            seed,
            rates,
            timers: Timers::new(),
            sources: Mutex::new(HashMap::new()),
            turns: Mutex::new(TurnDice {
                empty: Dice::for_turns(seed),
                late: Dice::for_turns_also(seed),
            }),
            held: Mutex::new(Vec::new()),
            unpark_pending: AtomicBool::new(false),
            skipped: AtomicBool::new(false),
            park: Mutex::new(()),
            idle: Arc::default(),
            log: builder.record.then(|| Mutex::new(Vec::new())),
            counters: Counters::default(),
            shutdown: AtomicBool::new(false),
        }
    }

    /// The seed every decision comes from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The wrapped reactor.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Every fault injected so far, in the order decided; empty unless built
    /// with [`Builder::record`].
    pub fn faults(&self) -> Vec<Fault> {
        self.log
            .as_ref()
            .map(|log| lock(log).clone())
            .unwrap_or_default()
    }

    /// How many faults of each kind were injected so far.
    pub fn counts(&self) -> FaultCounts {
        self.counters.snapshot()
    }

    /// A future that resolves once every task of the runtime is blocked;
    /// see [`UntilIdle`].
    pub fn until_idle(&self) -> UntilIdle {
        UntilIdle::new(Arc::clone(&self.idle))
    }

    fn record(&self, fault: Fault) {
        self.counters.add(&fault);
        if let Some(log) = &self.log {
            lock(log).push(fault);
        }
    }

    /// Runs `decide` on the streams of (`key`, `dir`).
    fn with_dice<T>(
        &self,
        key: SourceKey,
        dir: Direction,
        decide: impl FnOnce(&mut SourceDice) -> T,
    ) -> T {
        let mut sources = lock(&self.sources);
        let dice = sources.entry((key, dir)).or_insert_with(|| SourceDice {
            ready: Dice::for_source(self.seed, key, dir, 0),
            io: Dice::for_source(self.seed, key, dir, 1),
            reported: None,
        });
        decide(dice)
    }

    /// Holds `waker` back until the next park, and makes sure a park comes:
    /// one in progress on another thread returns, or the next one does not
    /// wait.
    fn hold(&self, key: SourceKey, dir: Direction, spurious: bool, waker: &Waker) {
        lock(&self.held).push(Held {
            key,
            dir,
            spurious,
            waker: waker.clone(),
        });
        self.inner.unpark();
    }

    /// Wakes every held waker; returns how many.
    fn release_held(&self) -> usize {
        let held = std::mem::take(&mut *lock(&self.held));
        let released = held.len();
        for entry in held {
            entry.waker.wake();
        }
        released
    }

    /// Settles the held wake-ups that `which` selects, now that the inner
    /// reactor has woken their source's waiters itself (the source was
    /// closed, deregistered, or lost the direction; the reactor shut down):
    /// a spurious one is dropped, a delayed readiness is woken at once, so
    /// that none is counted as an event of a later turn and no waiter waits
    /// for a readiness that will not come.
    fn settle_held(&self, which: impl Fn(&Held) -> bool) {
        let settled: Vec<Held> = {
            let mut held = lock(&self.held);
            let (settled, kept) = std::mem::take(&mut *held)
                .into_iter()
                .partition(|h| which(h));
            *held = kept;
            settled
        };
        for entry in settled {
            if !entry.spurious {
                entry.waker.wake();
            }
        }
    }

    /// The decisions of one turn: whether it is empty, and how late its
    /// timers may fire.
    fn roll_turn(&self, may_be_empty: bool, timers_pending: bool) -> (bool, Duration) {
        let mut dice = lock(&self.turns);
        let empty =
            may_be_empty && self.rates.empty_turn > 0.0 && dice.empty.chance(self.rates.empty_turn);
        let late = !empty && timers_pending && dice.late.chance(self.rates.late_timers);
        let by = if late {
            let max = u64::try_from(self.max_late.as_nanos()).unwrap_or(u64::MAX);
            Duration::from_nanos(dice.late.between_one_and(max))
        } else {
            Duration::ZERO
        };
        (empty, by)
    }
}

impl<R: Reactor> Decorator for Chaos<R> {
    type Inner = R;

    fn inner(&self) -> &R {
        &self.inner
    }

    fn reregister(&self, key: SourceKey, interest: Interest) -> Result<(), Error> {
        let result = self.inner.reregister(key, interest);
        self.settle_held(|h| h.key == key && !interest.contains(h.dir));
        result
    }

    fn deregister(&self, key: SourceKey) -> Result<(), Error> {
        let result = self.inner.deregister(key);
        self.settle_held(|h| h.key == key);
        lock(&self.sources).retain(|(k, _), _| *k != key);
        result
    }

    fn close(&self, key: SourceKey) -> Result<(), Error> {
        let result = self.inner.close(key);
        self.settle_held(|h| h.key == key);
        result
    }

    /// The inner answer, or — decided from the seed — `Pending` with the
    /// waker woken at the next turn: readiness delayed (the inner answer was
    /// ready) or a spurious wake-up on the way (it was `Pending`).
    fn poll_ready(
        &self,
        key: SourceKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        let poll = self.inner.poll_ready(key, dir, cx);
        let fault = match &poll {
            Poll::Ready(Ok(tick)) => {
                let rate = self.rates.delayed_ready;
                let delay = rate > 0.0
                    && self.with_dice(key, dir, |dice| {
                        if dice.reported == Some(*tick) {
                            return false;
                        }
                        let delay = dice.ready.chance(rate);
                        if !delay {
                            dice.reported = Some(*tick);
                        }
                        delay
                    });
                delay.then_some(Fault::DelayedReady { key, dir })
            }
            Poll::Pending => {
                let rate = self.rates.spurious_wake;
                let spurious =
                    rate > 0.0 && self.with_dice(key, dir, |dice| dice.ready.chance(rate));
                spurious.then_some(Fault::SpuriousWake { key, dir })
            }
            Poll::Ready(Err(_)) => None,
        };
        let Some(fault) = fault else {
            return poll;
        };
        let spurious = matches!(fault, Fault::SpuriousWake { .. });
        self.record(fault);
        self.hold(key, dir, spurious, cx.waker());
        Poll::Pending
    }

    fn insert_timer(&self, deadline: Instant, waker: &Waker) -> Result<TimerKey, Error> {
        if !self.owns_timers {
            return self.inner.insert_timer(deadline, waker);
        }
        let (key, wake_park) = self.timers.insert(deadline, waker)?;
        if wake_park {
            self.inner.unpark();
        }
        Ok(key)
    }

    fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.owns_timers {
            self.timers.poll(key, cx)
        } else {
            self.inner.poll_timer(key, cx)
        }
    }

    fn reset_timer(&self, key: TimerKey, deadline: Instant) -> Result<(), Error> {
        if !self.owns_timers {
            return self.inner.reset_timer(key, deadline);
        }
        if self.timers.reset(key, deadline)? {
            self.inner.unpark();
        }
        Ok(())
    }

    fn cancel_timer(&self, key: TimerKey) -> bool {
        if self.owns_timers {
            self.timers.cancel(key)
        } else {
            self.inner.cancel_timer(key)
        }
    }

    /// One turn: wakes what was held back (then waits for nothing), or —
    /// decided from the seed — returns empty at once; otherwise parks the
    /// inner reactor, bounded by the timers kept here plus this turn's
    /// lateness, and fires them late by at most that.
    fn park(&self, timeout: Option<Duration>, runtime_idle: bool) -> Result<Turn, Error> {
        if self.shutdown.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        let _serial = lock(&self.park);
        let unpark_pending = self.unpark_pending.swap(false, Ordering::AcqRel);
        let released = self.release_held();
        let barrier = runtime_idle && released == 0 && self.idle.has_waiters();
        let timers_pending = self.owns_timers && self.timers.next_deadline().is_some();
        let may_be_empty = released == 0 && !barrier && !unpark_pending;
        let (empty, late_by) = self.roll_turn(may_be_empty, timers_pending);
        if empty {
            self.record(Fault::EmptyTurn);
            self.skipped.store(true, Ordering::Release);
            return Ok(Turn::default());
        }
        if !late_by.is_zero() {
            self.record(Fault::LateTimers { by: late_by });
        }
        let now = self.inner.now();
        let limit = timeout.and_then(|t| now.checked_add(t));
        // From here on, a timer inserted before `bound` wakes the inner
        // park. The wait follows `bound` itself, never a second read of the
        // timers (see "Waking a parked reactor" on `Timers`).
        let bound = if self.owns_timers {
            self.timers.begin_park(limit)
        } else {
            None
        };
        let wait = if released > 0 || barrier {
            Some(Duration::ZERO)
        } else if self.owns_timers {
            // `bound` is `limit` or a timer's bound, so this is the earlier
            // of `limit` and that bound made late by `late_by`.
            let late = bound.map(|bound| bound.checked_add(late_by).unwrap_or(bound));
            let until = match (limit, late) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            until.map(|until| until.saturating_duration_since(now))
        } else {
            timeout
        };
        let wait = self.idle.bound(wait, runtime_idle);
        let turn = self.inner.park(wait, runtime_idle);
        if self.owns_timers {
            self.timers.end_park();
        }
        let turn = turn?;
        let fired = if self.owns_timers {
            // Timers already due when the turn began fire now, as the
            // contract says (`time.past_or_zero_fires_next_turn`); only those
            // that fell due during the wait may be held back, by `late_by`.
            let late = self.inner.now().checked_sub(late_by).unwrap_or(now);
            self.timers.fire_due(late.max(now))
        } else {
            0
        };
        let released_barrier = barrier && turn.is_empty() && fired == 0 && self.idle.notify() > 0;
        Ok(Turn::new(
            turn.events + released,
            turn.timers_fired + fired,
            turn.unparked || released_barrier,
        ))
    }

    /// Twice the inner resolution when timers are kept here (the inner
    /// reactor's own lateness plus at most as much injected), else the inner
    /// resolution.
    fn resolution(&self) -> Duration {
        if self.owns_timers {
            self.max_late.saturating_mul(2)
        } else {
            self.inner.resolution()
        }
    }

    fn stats(&self) -> ReactorStats {
        let inner = self.inner.stats();
        ReactorStats::new(inner.registrations, inner.timers + self.timers.len())
    }

    fn unpark(&self) {
        self.unpark_pending.store(true, Ordering::Release);
        self.inner.unpark();
    }

    /// The inner reactor's guest fd: faults are injected in the turns a
    /// host runs, as in a baton executor's.
    fn guest_fd(&self) -> Option<BorrowedFd<'_>> {
        self.inner.guest_fd()
    }

    fn host_runtime(&self, runtime: &dyn Any) {
        self.inner.host_runtime(runtime);
    }

    /// The inner reactor's wait, bounded by the timers kept here; "now"
    /// when the next turn has work the inner fd will not announce: wake-ups
    /// held back, an unpark not yet reported, or events an empty turn left
    /// queued.
    fn guest_wait(&self) -> Result<Option<Instant>, Error> {
        if self.shutdown.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        let inner = self.inner.guest_wait()?;
        let pending = self.skipped.swap(false, Ordering::AcqRel)
            || self.unpark_pending.load(Ordering::Acquire)
            || !lock(&self.held).is_empty();
        if pending {
            return Ok(Some(self.inner.now()));
        }
        if !self.owns_timers {
            return Ok(inner);
        }
        // As a park: an earlier timer inserted from here on unparks the
        // inner reactor, which turns its fd readable.
        let own = self.timers.begin_park(None);
        Ok(match (inner, own) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    fn shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        self.timers.shutdown();
        self.idle.shutdown();
        self.inner.shutdown();
        self.settle_held(|_| true);
    }

    /// None: the owned-buffer operations take the readiness path, where
    /// this decorator's faults (`WouldBlock`, `Interrupted`, short
    /// lengths) and held-back wake-ups apply; the inner reactor's
    /// completion capability would bypass them.
    fn completion(&self) -> Option<&dyn Completion> {
        None
    }

    /// The inner reactor's fault if it has one, else — decided from the
    /// seed — `WouldBlock`, `Interrupted` or a short length.
    fn io_fault(&self, key: SourceKey, dir: Direction) -> Option<IoFault> {
        if let Some(fault) = self.inner.io_fault(key, dir) {
            return Some(fault);
        }
        let r = &self.rates;
        if r.would_block == 0.0 && r.interrupted == 0.0 && r.short_io == 0.0 {
            return None;
        }
        let fault = self.with_dice(key, dir, |dice| {
            match dice.io.pick(&[r.would_block, r.interrupted, r.short_io])? {
                0 => Some(IoFault::WouldBlock),
                1 => Some(IoFault::Interrupted),
                _ => {
                    let max = u64::try_from(r.max_short).unwrap_or(u64::MAX);
                    let len = dice.io.between_one_and(max);
                    Some(IoFault::Short(usize::try_from(len).unwrap_or(1)))
                }
            }
        })?;
        self.record(Fault::Io { key, dir, fault });
        Some(fault)
    }
}

impl<R> Drop for Chaos<R> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "baton-testing: Chaos was seeded with {seed}; replay with BATON_SEED={seed} \
                 if the test takes its seed from baton_testing::seed::test_seed",
                seed = self.seed
            );
        }
    }
}

impl<R> fmt::Debug for Chaos<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chaos")
            .field("seed", &self.seed)
            .field("rates", &self.rates)
            .field("owns_timers", &self.owns_timers)
            .field("counts", &self.counters.snapshot())
            .finish_non_exhaustive()
    }
}
