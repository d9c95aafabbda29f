//! The local executor's queues and loop.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::mem;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

use async_task::ScheduleInfo;
use baton_protocol::Error;
use baton_protocol::Spawn;
use baton_protocol::dump::Dump;
use baton_protocol::task::blocking::BlockingPool;
use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions};
use concurrent_queue::ConcurrentQueue;

use crate::blocking::Pool;
use crate::context;
use crate::metrics::{self, Metrics, Observe, WorkerCounters};
use crate::park::{Driver, Parker};
use crate::rng::Rng;
use crate::task::{self, Core, Instrument, Runnable, Scheduler, TaskInfo, Tasks};

/// When a task is taken from the queue, the task at this index is
/// prefetched ([`task::prefetch`]): the third to run from then, so that
/// its cache lines have time to arrive. A task queued behind 100 000
/// others is cold by its turn; without the prefetch, the first load from
/// it was among the local executor's largest costs in `baton-bench run
/// baton-epoll-local spawn_inside 100000`. Two places behind the head
/// measured as fast as one or four, and faster than the head itself (the
/// next task, whose lines arrive too late): BENCHMARKS.md, change 11.
const PREFETCH_AHEAD: usize = 2;

thread_local! {
    /// The local executor whose `block_on` runs on this thread (innermost).
    static LOCAL: RefCell<Option<Rc<LocalCore>>> = const { RefCell::new(None) };
}

/// What a local executor shares with other threads: the queue their wakes
/// and spawns go to, and how they wake the owner.
pub(crate) struct LocalShared {
    pub(crate) id: u64,
    pub(crate) tasks: Tasks,
    /// Tasks woken or spawned off the owner thread (or outside `block_on`).
    pub(crate) remote: ConcurrentQueue<Runnable>,
    pub(crate) parker: Parker,
    pub(crate) driver: Driver,
    pub(crate) pool: Pool,
    pub(crate) instrument: Instrument,
    pub(crate) observe: Observe,
    /// The owner thread's counters: shared, so that a
    /// [`MetricsReader`](crate::MetricsReader) on another thread reads them.
    pub(crate) counters: WorkerCounters,
    /// The thread that created the executor, the only one that runs its
    /// tasks (the executor is neither `Send` nor `Sync`).
    owner: ThreadId,
}

impl LocalShared {
    pub(crate) fn new(
        id: u64,
        driver: Driver,
        pool: Pool,
        instrument: Instrument,
        observe: Observe,
    ) -> LocalShared {
        LocalShared {
            owner: context::current_thread(),
            id,
            tasks: Tasks::new(1),
            remote: ConcurrentQueue::unbounded(),
            parker: Parker::new(),
            driver,
            pool,
            instrument,
            observe,
            counters: WorkerCounters::new(0, observe),
        }
    }

    /// See [`LocalExecutor::dump`](crate::LocalExecutor::dump).
    pub(crate) fn dump(&self) -> Dump {
        let mut dump = Dump::new(self.driver.reactor().now())
            .shutting_down(self.tasks.is_closed())
            .timed(self.instrument.poll_timing);
        self.tasks.dump_into(&mut dump);
        self.pool.tasks().dump_into(&mut dump);
        dump.sorted()
    }

    /// Wakes the owner thread, wherever it waits.
    pub(crate) fn notify(&self) {
        self.parker.unpark(&self.driver);
    }

    /// A snapshot of the executor's figures.
    pub(crate) fn metrics(&self) -> Metrics {
        let mut metrics = Metrics {
            workers: 1,
            alive_tasks: self.tasks.alive() + self.pool.tasks().alive(),
            spawned: self.tasks.spawned() + self.pool.tasks().spawned(),
            global_queue_depth: self.remote.len(),
            reactor_turns: self.driver.turns(),
            blocking_threads: self.pool.threads(),
            blocking_queue_depth: self.pool.queued(),
            ..Metrics::default()
        };
        self.counters.add_to(&mut metrics);
        metrics
    }
}

impl metrics::Source for LocalShared {
    fn metrics(&self) -> Metrics {
        LocalShared::metrics(self)
    }
}

impl Scheduler for LocalShared {
    fn schedule_remote(&self, runnable: Runnable) {
        // An unbounded queue that is never closed accepts every push.
        let _ = self.remote.push(runnable);
        self.tasks.queued();
        self.notify();
    }

    fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    fn is_owner_thread(&self) -> bool {
        context::current_thread() == self.owner
    }

    fn histograms(&self) -> bool {
        self.observe.histograms
    }
}

/// The schedule function of every local task: the owner's queue when woken
/// inside its `block_on`, else the remote queue.
pub(crate) fn schedule(runnable: Runnable, info: ScheduleInfo) {
    runnable.metadata().set_scheduled();
    match current_for(runnable.metadata()) {
        Some(core) => core.schedule(runnable, info.woken_while_running),
        None => {
            let core = runnable.metadata().core.clone();
            core.schedule_remote(runnable);
        }
    }
}

#[inline]
fn current_for(task: &TaskInfo) -> Option<Rc<LocalCore>> {
    LOCAL
        .try_with(|l| {
            l.borrow()
                .as_ref()
                .filter(|core| task.core.is(&core.shared))
                .cloned()
        })
        .ok()
        .flatten()
}

/// The local executor running on this thread, if any.
pub(crate) fn current() -> Option<Rc<LocalCore>> {
    LOCAL.try_with(|l| l.borrow().clone()).ok().flatten()
}

/// Makes `core` the current local executor until dropped.
pub(crate) struct CurrentGuard(Option<Rc<LocalCore>>);

impl CurrentGuard {
    pub(crate) fn set(core: &Rc<LocalCore>) -> CurrentGuard {
        let previous = LOCAL
            .try_with(|l| l.borrow_mut().replace(Rc::clone(core)))
            .ok()
            .flatten();
        CurrentGuard(previous)
    }
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = LOCAL.try_with(|l| *l.borrow_mut() = previous);
    }
}

/// The owner thread's half of a local executor.
pub(crate) struct LocalCore {
    pub(crate) shared: Arc<LocalShared>,
    /// What the executor's tasks reach it through.
    core: Core,
    queue: RefCell<VecDeque<Runnable>>,
    deferred: RefCell<Vec<Runnable>>,
    rng: RefCell<Option<Rng>>,
    /// Ticks left until the remote queue goes first (counts down from N).
    global_countdown: Cell<u32>,
    polls_since_maintenance: Cell<u32>,
    /// Tasks taken from the queues so far: how a deferred root knows the
    /// work queued before it has run.
    dequeued: Cell<u64>,
    global_queue_interval: u32,
    event_interval: u32,
}

impl LocalCore {
    pub(crate) fn new(
        shared: Arc<LocalShared>,
        core: Core,
        shuffle: Option<u64>,
        global_queue_interval: u32,
        event_interval: u32,
    ) -> LocalCore {
        LocalCore {
            shared,
            core,
            queue: RefCell::new(VecDeque::new()),
            deferred: RefCell::new(Vec::new()),
            rng: RefCell::new(shuffle.map(Rng::new)),
            global_countdown: Cell::new(global_queue_interval),
            polls_since_maintenance: Cell::new(0),
            dequeued: Cell::new(0),
            global_queue_interval,
            event_interval,
        }
    }

    /// Spawns a future that need not be `Send` and queues it here.
    pub(crate) fn spawn_local<F>(
        &self,
        future: F,
        options: SpawnOptions,
    ) -> Result<task::JoinHandle<F::Output>, Error>
    where
        F: std::future::Future + 'static,
        F::Output: 'static,
    {
        let instrument = self.shared.instrument;
        let (runnable, join) =
            task::spawn_local(self.core.clone(), future, options, instrument, schedule)?;
        self.queue.borrow_mut().push_back(runnable);
        Ok(join)
    }

    fn schedule(&self, runnable: Runnable, yielded: bool) {
        if yielded {
            self.deferred.borrow_mut().push(runnable);
        } else {
            self.queue.borrow_mut().push_back(runnable);
        }
    }

    pub(crate) fn next_task(&self) -> Option<Runnable> {
        let countdown = self.global_countdown.get() - 1;
        let global_first = countdown == 0;
        self.global_countdown.set(if global_first {
            self.global_queue_interval
        } else {
            countdown
        });
        let task = if let Some(rng) = self.rng.borrow_mut().as_mut() {
            let mut queue = self.queue.borrow_mut();
            while let Ok(task) = self.shared.remote.pop() {
                queue.push_back(task);
            }
            if queue.is_empty() {
                None
            } else {
                let at = rng.below(queue.len());
                queue.swap_remove_back(at)
            }
        } else if global_first {
            self.shared
                .remote
                .pop()
                .ok()
                .or_else(|| self.queue.borrow_mut().pop_front())
        } else {
            let mut queue = self.queue.borrow_mut();
            let local = queue.pop_front();
            if let Some(next) = queue.get(PREFETCH_AHEAD) {
                task::prefetch(next);
            }
            drop(queue);
            local.or_else(|| self.shared.remote.pop().ok())
        };
        if task.is_some() {
            self.dequeued.set(self.dequeued.get() + 1);
        }
        task
    }

    pub(crate) fn run(&self, task: Runnable) {
        self.polls_since_maintenance
            .set(self.polls_since_maintenance.get() + 1);
        self.shared.counters.run(task);
    }

    pub(crate) fn maintenance_due(&self) -> bool {
        self.polls_since_maintenance.get() >= self.event_interval
    }

    /// A non-blocking reactor turn, then the deferred tasks are queued.
    pub(crate) fn maintenance(&self) {
        self.polls_since_maintenance.set(0);
        if let Some(guard) = self.shared.driver.try_acquire() {
            guard.turn(Some(Duration::ZERO), false);
        }
        // Moved in place: the deferred buffer keeps its capacity, so a task
        // that yields in a loop costs no allocation per round.
        self.queue
            .borrow_mut()
            .extend(self.deferred.borrow_mut().drain(..));
    }

    pub(crate) fn has_deferred(&self) -> bool {
        !self.deferred.borrow().is_empty()
    }

    /// The count [`dequeued`](LocalCore::dequeued) will reach once every
    /// task queued now has been taken.
    pub(crate) fn drained_at(&self) -> u64 {
        self.dequeued.get() + self.queue.borrow().len() as u64
    }

    pub(crate) fn dequeued(&self) -> u64 {
        self.dequeued.get()
    }

    pub(crate) fn queue_is_empty(&self) -> bool {
        self.queue.borrow().is_empty()
    }

    /// Sleeps until woken, driving the reactor meanwhile.
    pub(crate) fn park(&self, runtime_idle: impl FnOnce() -> bool) {
        let shared = &self.shared;
        shared.counters.park();
        shared
            .counters
            .sleep(|| shared.parker.park(&shared.driver, runtime_idle));
    }

    /// Drops every task queued on the owner's side (at shutdown).
    pub(crate) fn drop_queued(&self) {
        let queue = mem::take(&mut *self.queue.borrow_mut());
        let deferred = mem::take(&mut *self.deferred.borrow_mut());
        drop(queue);
        drop(deferred);
    }
}

/// The local executor as the protocol's [`Spawn`]: callable from any
/// thread; the task is queued for the owner thread.
pub(crate) struct LocalSpawner {
    pub(crate) shared: Arc<LocalShared>,
    pub(crate) core: Core,
}

impl Spawn for LocalSpawner {
    fn spawn_erased(
        &self,
        future: BoxErased,
        options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        let instrument = self.shared.instrument;
        let (runnable, join) =
            task::spawn_erased(self.core.clone(), future, options, instrument, schedule)?;
        // Through the schedule function: the owner's queue when called from
        // inside its `block_on`, else the remote queue and a wake-up.
        runnable.schedule();
        Ok(Box::new(join))
    }

    fn alive_tasks(&self) -> usize {
        self.shared.tasks.alive() + self.shared.pool.tasks().alive()
    }

    fn blocking_pool(&self) -> Option<&dyn BlockingPool> {
        Some(&self.shared.pool)
    }

    fn dump(&self) -> Result<Dump, Error> {
        Ok(self.shared.dump())
    }
}
