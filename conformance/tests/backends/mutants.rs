//! Mutants: deliberately broken backends, each breaking one contract. The
//! suite must fail on every one (`cargo xtask conformance --mutants` shows
//! which cases caught each); a mutant that survives means the suite has a
//! blind spot.
//!
//! The reactor mutants are decorators over the epoll reactor that override
//! one method; the executor mutants wrap the local executor.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_conformance::{Executor, ExecutorSpec, ReactorSpec, Suite};
use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::{SourceKey, Tick, TimerKey, Turn};
use baton_protocol::task::{BoxErased, ErasedFuture, RawJoin, SpawnOptions, TaskId};
use baton_protocol::{Direction, Error, Handle, Reactor, Spawn};
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
        .mutant(
            "weak-task-wakers",
            "wakers hold only weak task references: a detached task that waits is freed",
            ReactorSpec::new("epoll", |_| EpollReactor::new()),
            ExecutorSpec::new("weak-task-wakers", |reactor, _| WeakWakers::new(reactor)),
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

/// The classic bug of a hand-rolled executor: its wakers hold only a `Weak`
/// reference to their task, the run queue and the `JoinHandle` the strong
/// ones. A task that waits (not queued, not running) after its handle was
/// dropped has no strong owner left: it is freed, its future dropped, and
/// the event it waited for wakes nobody. A task that yields survives (the
/// queue holds it), so only a detached task that waits shows the bug.
///
/// Built over the local executor, so the bug is the only difference: every
/// spawned future runs inside [`WeakTask`], whose [`Slot`] stands for the
/// naive executor's task allocation.
struct WeakWakers {
    local: Local,
    handle: Handle,
    spawner: Arc<WeakSpawn>,
}

impl WeakWakers {
    fn new(reactor: Arc<dyn Reactor>) -> Result<WeakWakers, Error> {
        let local = local(Arc::clone(&reactor), None)?;
        let spawner = Arc::new(WeakSpawn {
            inner: Arc::clone(local.handle().spawner()),
            handle: Mutex::new(None),
        });
        let handle = Handle::new(reactor, Arc::clone(&spawner) as Arc<dyn Spawn>);
        *lock(&spawner.handle) = Some(handle.clone());
        Ok(WeakWakers {
            local,
            handle,
            spawner,
        })
    }
}

impl Drop for WeakWakers {
    fn drop(&mut self) {
        // The spawner's handle holds the spawner: break the cycle.
        lock(&self.spawner.handle).take();
    }
}

impl Executor for WeakWakers {
    fn handle(&self) -> Handle {
        self.handle.clone()
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) -> Result<(), Error> {
        let handle = self.handle.clone();
        self.local.block_on(Box::pin(Entered { handle, future }))
    }

    fn shutdown(&self) -> Result<(), Error> {
        self.local.shutdown()
    }
}

/// Polls `future` with the mutant's handle entered, so that code in it
/// spawns through [`WeakSpawn`].
struct Entered<F: ?Sized> {
    handle: Handle,
    future: Pin<Box<F>>,
}

impl<F: Future + ?Sized> Future for Entered<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _entered = self.handle.enter();
        self.future.as_mut().poll(cx)
    }
}

/// Spawns on the local executor, each future inside a [`WeakTask`].
struct WeakSpawn {
    inner: Arc<dyn Spawn>,
    /// The mutant's handle, for its tasks to enter (`None` once the
    /// executor is dropped).
    handle: Mutex<Option<Handle>>,
}

impl Spawn for WeakSpawn {
    fn spawn_erased(
        &self,
        future: BoxErased,
        options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        // The naive task starts queued: the run queue holds it strongly.
        let slot = Arc::new(Slot {
            waker: Mutex::new(Waker::noop().clone()),
            queued: Mutex::new(None),
        });
        *lock(&slot.queued) = Some(Arc::clone(&slot));
        let task = WeakTask {
            future: Some(future),
            slot: Arc::downgrade(&slot),
            handle: lock(&self.handle).clone(),
        };
        let inner = self.inner.spawn_erased(Box::pin(task), options)?;
        Ok(Box::new(StrongJoin { inner, _slot: slot }))
    }

    fn alive_tasks(&self) -> usize {
        self.inner.alive_tasks()
    }
}

/// The naive executor's task allocation: alive while the run queue
/// (`queued`), a poll in progress or the join handle holds it.
struct Slot {
    /// The local executor's waker of the task: what a wake-up reaches.
    waker: Mutex<Waker>,
    /// The run queue's strong reference, from a wake-up to the next poll.
    queued: Mutex<Option<Arc<Slot>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Freed: one last poll drops the future, as freeing the task would.
        lock(&self.waker).wake_by_ref();
    }
}

/// The waker the task's future sees: a weak reference to its task.
struct WeakWaker(Weak<Slot>);

impl Wake for WeakWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // A freed task is woken by nobody: the bug.
        if let Some(slot) = self.0.upgrade() {
            *lock(&slot.queued) = Some(Arc::clone(&slot));
            lock(&slot.waker).wake_by_ref();
        }
    }
}

/// A spawned future as the naive executor runs it.
struct WeakTask {
    /// `None` once the task was freed.
    future: Option<BoxErased>,
    slot: Weak<Slot>,
    /// The mutant's handle, entered around each poll.
    handle: Option<Handle>,
}

impl ErasedFuture for WeakTask {
    fn poll_erased(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let (Some(future), Some(slot)) = (this.future.as_mut(), this.slot.upgrade()) else {
            this.future = None;
            return Poll::Pending;
        };
        // Polling consumes the run queue's reference.
        let queued = lock(&slot.queued).take();
        *lock(&slot.waker) = cx.waker().clone();
        let waker = Waker::from(Arc::new(WeakWaker(Arc::downgrade(&slot))));
        let _entered = this.handle.as_ref().map(Handle::enter);
        let poll = future
            .as_mut()
            .poll_erased(&mut Context::from_waker(&waker));
        drop((queued, slot));
        if poll.is_pending() && this.slot.strong_count() == 0 {
            this.future = None;
        }
        poll
    }

    fn take_output(self: Pin<&mut Self>, slot: &mut dyn Any) -> bool {
        match self.get_mut().future.as_mut() {
            Some(future) => future.as_mut().take_output(slot),
            None => false,
        }
    }
}

impl Drop for WeakTask {
    fn drop(&mut self) {
        // A task dropped while queued (cancelled, or at shutdown) leaves the
        // run queue: drop the queue's reference. The future goes first: its
        // destructor may wake the task (a deregistered source wakes its
        // waiters), queueing it again.
        self.future = None;
        if let Some(slot) = self.slot.upgrade() {
            let queued = lock(&slot.queued).take();
            drop(queued);
        }
    }
}

/// The join handle: the task's one strong owner besides the run queue.
struct StrongJoin {
    inner: Box<dyn RawJoin<BoxErased>>,
    /// Never read: holding it is what keeps the task alive.
    _slot: Arc<Slot>,
}

impl RawJoin<BoxErased> for StrongJoin {
    fn id(&self) -> TaskId {
        self.inner.id()
    }

    fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    fn abort(&mut self) {
        self.inner.abort();
    }

    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<BoxErased, Error>> {
        self.inner.poll_join(cx)
    }
}
