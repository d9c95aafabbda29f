//! Mutants: deliberately broken backends, each breaking one contract. The
//! suite must fail on every one (`cargo xtask conformance --mutants` shows
//! which cases caught each); a mutant that survives means the suite has a
//! blind spot.
//!
//! The reactor mutants are decorators over the epoll reactor that override
//! one method; the executor mutant wraps the local executor.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_conformance::{Executor, ExecutorSpec, ReactorSpec, Suite};
use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::{SourceKey, Tick, TimerKey, Turn};
use baton_protocol::{Direction, Error, Handle, Reactor};
use baton_reactor_epoll::EpollReactor;

use super::{Local, local};

/// Adds every mutant to `suite`.
pub(crate) fn add(suite: Suite) -> Suite {
    let healthy = || ExecutorSpec::new("local", |reactor, _| local(reactor, None));
    suite
        .mutant(
            "lose-wakeup",
            "every third Pending poll_ready keeps no waker: a lost wake-up",
            ReactorSpec::new("lose-wakeup", |_| Ok(LoseWakeup::new(EpollReactor::new()?))),
            healthy(),
        )
        .mutant(
            "early-timer",
            "timers fire 3 ms before their deadline",
            ReactorSpec::new("early-timer", |_| Ok(EarlyTimer(EpollReactor::new()?))),
            healthy(),
        )
        .mutant(
            "ignore-unpark",
            "unpark does nothing",
            ReactorSpec::new("ignore-unpark", |_| Ok(IgnoreUnpark(EpollReactor::new()?))),
            healthy(),
        )
        .mutant(
            "never-rearm",
            "after clear_ready a direction never reports ready again",
            ReactorSpec::new("never-rearm", |_| Ok(NeverRearm::new(EpollReactor::new()?))),
            healthy(),
        )
        .mutant(
            "stale-event",
            "the waiters of a deregistered source are woken at the next park, counted as an event",
            ReactorSpec::new("stale-event", |_| Ok(StaleEvent::new(EpollReactor::new()?))),
            healthy(),
        )
        .mutant(
            "cancel-still-fires",
            "cancel_timer says it cancelled but the timer stays and fires",
            ReactorSpec::new("cancel-still-fires", |_| {
                Ok(CancelStillFires(EpollReactor::new()?))
            }),
            healthy(),
        )
        .mutant(
            "shutdown-wakes-nobody",
            "reactor shutdown neither wakes waiters nor refuses later calls",
            ReactorSpec::new("shutdown-wakes-nobody", |_| {
                Ok(ShutdownWakesNobody(EpollReactor::new()?))
            }),
            healthy(),
        )
        .mutant(
            "shutdown-leaks-tasks",
            "executor shutdown returns Ok but drops no task",
            ReactorSpec::new("epoll", |_| EpollReactor::new()),
            ExecutorSpec::new("shutdown-leaks-tasks", |reactor, _| {
                local(reactor, None).map(LeakyShutdown)
            }),
        )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Loses every third wake-up registration.
struct LoseWakeup {
    inner: EpollReactor,
    polls: AtomicUsize,
}

impl LoseWakeup {
    fn new(inner: EpollReactor) -> Self {
        LoseWakeup {
            inner,
            polls: AtomicUsize::new(0),
        }
    }
}

impl Decorator for LoseWakeup {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.inner
    }

    fn poll_ready(
        &self,
        key: SourceKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        if self.polls.fetch_add(1, Ordering::Relaxed) % 3 == 2 {
            return self
                .inner()
                .poll_ready(key, dir, &mut Context::from_waker(Waker::noop()));
        }
        self.inner().poll_ready(key, dir, cx)
    }
}

/// Fires timers early.
struct EarlyTimer(EpollReactor);

const EARLY: Duration = Duration::from_millis(3);

impl Decorator for EarlyTimer {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.0
    }

    fn insert_timer(&self, deadline: Instant, waker: &Waker) -> Result<TimerKey, Error> {
        self.inner()
            .insert_timer(deadline.checked_sub(EARLY).unwrap_or(deadline), waker)
    }

    fn reset_timer(&self, key: TimerKey, deadline: Instant) -> Result<(), Error> {
        self.inner()
            .reset_timer(key, deadline.checked_sub(EARLY).unwrap_or(deadline))
    }
}

/// Ignores unpark.
struct IgnoreUnpark(EpollReactor);

impl Decorator for IgnoreUnpark {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.0
    }

    fn unpark(&self) {}
}

/// Hides every readiness of a direction once it was cleared.
struct NeverRearm {
    inner: EpollReactor,
    cleared: Mutex<Vec<(SourceKey, Direction)>>,
}

impl NeverRearm {
    fn new(inner: EpollReactor) -> Self {
        NeverRearm {
            inner,
            cleared: Mutex::new(Vec::new()),
        }
    }
}

impl Decorator for NeverRearm {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.inner
    }

    fn poll_ready(
        &self,
        key: SourceKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        if lock(&self.cleared).contains(&(key, dir)) {
            return Poll::Pending;
        }
        self.inner().poll_ready(key, dir, cx)
    }

    fn clear_ready(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        lock(&self.cleared).push((key, dir));
        self.inner().clear_ready(key, dir, tick)
    }

    fn clear_drained(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        lock(&self.cleared).push((key, dir));
        self.inner().clear_drained(key, dir, tick)
    }
}

/// Wakes a deregistered source's waiters at the next park.
struct StaleEvent {
    inner: EpollReactor,
    waiters: Mutex<HashMap<SourceKey, Vec<Waker>>>,
    stale: Mutex<Vec<Waker>>,
}

impl StaleEvent {
    fn new(inner: EpollReactor) -> Self {
        StaleEvent {
            inner,
            waiters: Mutex::default(),
            stale: Mutex::default(),
        }
    }
}

impl Decorator for StaleEvent {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.inner
    }

    fn poll_ready(
        &self,
        key: SourceKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        let poll = self.inner().poll_ready(key, dir, cx);
        if poll.is_pending() {
            lock(&self.waiters)
                .entry(key)
                .or_default()
                .push(cx.waker().clone());
        }
        poll
    }

    fn deregister(&self, key: SourceKey) -> Result<(), Error> {
        let result = self.inner().deregister(key);
        if let Some(wakers) = lock(&self.waiters).remove(&key) {
            lock(&self.stale).extend(wakers);
        }
        result
    }

    fn park(&self, timeout: Option<Duration>, runtime_idle: bool) -> Result<Turn, Error> {
        let turn = self.inner().park(timeout, runtime_idle)?;
        let stale: Vec<Waker> = std::mem::take(&mut *lock(&self.stale));
        let extra = stale.len();
        stale.into_iter().for_each(Waker::wake);
        Ok(Turn::new(
            turn.events + extra,
            turn.timers_fired,
            turn.unparked,
        ))
    }
}

/// Reports a cancel but leaves the timer in place.
struct CancelStillFires(EpollReactor);

impl Decorator for CancelStillFires {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.0
    }

    fn cancel_timer(&self, _: TimerKey) -> bool {
        true
    }
}

/// A shutdown that does nothing.
struct ShutdownWakesNobody(EpollReactor);

impl Decorator for ShutdownWakesNobody {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.0
    }

    fn shutdown(&self) {}
}

/// An executor whose shutdown drops no task.
struct LeakyShutdown(Local);

impl Executor for LeakyShutdown {
    fn handle(&self) -> Handle {
        self.0.handle()
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) -> Result<(), Error> {
        self.0.block_on(future)
    }

    fn shutdown(&self) -> Result<(), Error> {
        Ok(())
    }
}
