//! The state every thread of a multi-thread runtime shares, and how tasks
//! are queued from wherever they are woken.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Instant;

use async_task::ScheduleInfo;
use baton_protocol::dump::Dump;
use baton_protocol::task::blocking::BlockingPool;
use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions};
use baton_protocol::{Error, Spawn};
use crossbeam_deque::{Injector, Steal, Stealer};

use super::idle::Idle;
use super::worker;
use crate::blocking::Pool;
use crate::metrics::{self, Metrics, Observe, WorkerCounters};
use crate::park::{Driver, Parker};
use crate::task::{self, Core, Instrument, JoinHandle, Runnable, Scheduler, Tasks};

/// Settings the workers read.
pub(crate) struct Config {
    pub(crate) instrument: Instrument,
    pub(crate) global_queue_interval: u32,
    pub(crate) event_interval: u32,
    pub(crate) shuffle: Option<u64>,
    pub(crate) observe: Observe,
}

/// What the workers, `block_on` callers and wakers of one runtime share.
pub(crate) struct Shared {
    /// Identifies the runtime in the thread-local re-entry check.
    pub(crate) id: u64,
    pub(crate) tasks: Tasks,
    pub(crate) injector: Injector<Runnable>,
    pub(crate) stealers: Box<[Stealer<Runnable>]>,
    pub(crate) parkers: Box<[Parker]>,
    pub(crate) counters: Box<[WorkerCounters]>,
    pub(crate) idle: Idle,
    pub(crate) driver: Driver,
    /// `block_on` roots that are running or runnable (not parked): the
    /// runtime is not idle while one is.
    pub(crate) active_roots: AtomicUsize,
    pub(crate) config: Config,
    pub(crate) pool: Pool,
    /// Worker threads, taken by the shutdown that joins them.
    pub(crate) threads: Mutex<Vec<thread::JoinHandle<()>>>,
    /// Workers that left their loop, signalled for shutdown's wait.
    exited: (Mutex<usize>, Condvar),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(
        id: u64,
        stealers: Box<[Stealer<Runnable>]>,
        driver: Driver,
        config: Config,
        pool: Pool,
    ) -> Shared {
        let workers = stealers.len();
        Shared {
            id,
            tasks: Tasks::new(workers * 4),
            injector: Injector::new(),
            stealers,
            parkers: (0..workers).map(|_| Parker::new()).collect(),
            counters: (0..workers)
                .map(|index| WorkerCounters::new(index, config.observe))
                .collect(),
            idle: Idle::new(workers),
            driver,
            active_roots: AtomicUsize::new(0),
            config,
            pool,
            threads: Mutex::new(Vec::new()),
            exited: (Mutex::new(0), Condvar::new()),
        }
    }

    pub(crate) fn workers(&self) -> usize {
        self.parkers.len()
    }

    /// Spawns `future` and queues it: on the current worker's queue when
    /// called from one of this runtime's workers, else on the global queue.
    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        core: &Core,
        future: F,
        options: SpawnOptions,
    ) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let instrument = self.config.instrument;
        let (runnable, join) = task::spawn(core.clone(), future, options, instrument, schedule)?;
        self.queue_spawned(runnable);
        Ok(join)
    }

    /// [`spawn`](Shared::spawn) for the protocol's type-erased future.
    fn spawn_erased(
        self: &Arc<Self>,
        core: &Core,
        future: BoxErased,
        options: SpawnOptions,
    ) -> Result<JoinHandle<BoxErased>, Error> {
        let instrument = self.config.instrument;
        let (runnable, join) =
            task::spawn_erased(core.clone(), future, options, instrument, schedule)?;
        self.queue_spawned(runnable);
        Ok(join)
    }

    fn queue_spawned(self: &Arc<Self>, runnable: Runnable) {
        match worker::current_of(self) {
            Some(local) => local.push_spawned(runnable),
            None => self.push_remote(runnable),
        }
    }

    /// Queues a task on the global queue and wakes a worker for it.
    pub(crate) fn push_remote(&self, runnable: Runnable) {
        self.injector.push(runnable);
        self.tasks.queued();
        self.notify_parked();
    }

    /// Wakes one sleeping worker if no worker is searching already; prefers
    /// one that sleeps on its condvar, so the one in the reactor keeps
    /// waiting for I/O.
    pub(crate) fn notify_parked(&self) {
        if let Some(worker) = self
            .idle
            .worker_to_notify(|w| self.parkers[w].is_on_condvar())
        {
            self.parkers[worker].unpark(&self.driver);
        }
    }

    /// After the last searcher parked: wakes a worker if work is waiting
    /// anywhere, since nobody else is looking.
    pub(crate) fn notify_if_work_pending(&self) {
        if self.stealers.iter().any(|s| !s.is_empty()) || !self.injector.is_empty() {
            self.notify_parked();
        }
    }

    /// Called by a thread that drove the reactor and will not wait in it
    /// again right away: if workers sleep on their condvars and nobody took
    /// the token, wakes one so that somebody waits for I/O.
    pub(crate) fn driver_released(&self) {
        if self.driver.is_busy() || self.idle.num_unparked() == self.workers() {
            return;
        }
        if let Some(worker) = self.idle.sleeper_where(|w| self.parkers[w].is_on_condvar()) {
            self.parkers[worker].unpark(&self.driver);
        }
    }

    /// Whether nothing is runnable anywhere: every worker sleeps, the global
    /// queue is empty and no `block_on` root is running.
    pub(crate) fn is_idle(&self) -> bool {
        self.idle.num_unparked() == 0
            && self.injector.is_empty()
            && self.active_roots.load(Ordering::SeqCst) == 0
    }

    /// Called by each worker as it leaves its loop.
    pub(crate) fn worker_exited(&self) {
        *lock(&self.exited.0) += 1;
        self.exited.1.notify_all();
    }

    /// Waits until `started` workers have left their loops, or `deadline`.
    fn wait_workers(&self, started: usize, deadline: Option<Instant>) -> bool {
        let mut exited = lock(&self.exited.0);
        while *exited < started {
            exited = match deadline {
                None => self
                    .exited
                    .1
                    .wait(exited)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    match self.exited.1.wait_timeout(exited, left) {
                        Ok((guard, _)) => guard,
                        Err(poisoned) => poisoned.into_inner().0,
                    }
                }
            };
        }
        true
    }

    /// Drops every queued task in the global queue.
    pub(crate) fn drain_injector(&self) {
        loop {
            match self.injector.steal() {
                Steal::Success(runnable) => drop(runnable),
                Steal::Retry => {}
                Steal::Empty => break,
            }
        }
    }

    /// Shuts the runtime down; see [`Runtime::shutdown_timeout`]. `join`
    /// is false when called from one of the workers, which cannot wait for
    /// itself: the workers then drop what they hold as they exit.
    ///
    /// Returns whether everything was dropped and every thread exited
    /// before `deadline`.
    ///
    /// [`Runtime::shutdown_timeout`]: crate::Runtime::shutdown_timeout
    pub(crate) fn shutdown(&self, deadline: Option<Instant>, join: bool) -> bool {
        let first = self.tasks.close();
        for parker in self.parkers.iter() {
            parker.unpark(&self.driver);
        }
        // A repeated shutdown (after one that timed out) never blocks: what
        // is still running now was given its chance.
        let deadline = if first {
            deadline
        } else {
            Some(Instant::now())
        };
        let deadline = if join { deadline } else { Some(Instant::now()) };
        let threads = std::mem::take(&mut *lock(&self.threads));
        let exited = self.wait_workers(threads.len(), deadline);
        for thread in threads {
            // Once every worker has left its loop, each thread only has its
            // own references left to drop: join it, so that nothing of the
            // runtime outlives this call. After a timeout, an unfinished
            // worker is detached; it drops its queue when its current poll
            // returns. A worker never panics out of its loop; if one did,
            // there is nothing to add here.
            if exited || thread.is_finished() {
                let _ = thread.join();
            }
        }
        let drained = self.drain(deadline);
        let pool_done = self.pool.shutdown(if first { deadline } else { None });
        if first {
            self.driver.reactor().shutdown();
        }
        exited && drained && pool_done
    }

    /// Wakes every registered task so that it is queued, and drops queued
    /// tasks, until none is registered or `deadline` passes.
    fn drain(&self, deadline: Option<Instant>) -> bool {
        loop {
            let seen = self.tasks.drain_round();
            self.tasks.cancel_all();
            self.drain_injector();
            if self.tasks.is_empty() {
                return true;
            }
            // Still registered: running on a worker that has not exited,
            // woken by a destructor after the drain, or being queued by
            // another thread (a wake or spawn that got past the registry
            // before it closed). Wait for a change.
            if !self.tasks.wait_change(seen, deadline) {
                return false;
            }
        }
    }

    pub(crate) fn metrics(&self) -> Metrics {
        let mut metrics = Metrics {
            workers: self.workers(),
            alive_tasks: self.tasks.alive() + self.pool.tasks().alive(),
            spawned: self.tasks.spawned() + self.pool.tasks().spawned(),
            global_queue_depth: self.injector.len(),
            reactor_turns: self.driver.turns(),
            blocking_threads: self.pool.threads(),
            blocking_queue_depth: self.pool.queued(),
            ..Metrics::default()
        };
        for counters in self.counters.iter() {
            counters.add_to(&mut metrics);
        }
        metrics
    }

    /// See [`Runtime::dump`](crate::Runtime::dump).
    pub(crate) fn dump(&self) -> Dump {
        let mut dump = Dump::new(self.driver.reactor().now())
            .shutting_down(self.tasks.is_closed())
            .timed(self.config.instrument.poll_timing);
        self.tasks.dump_into(&mut dump);
        self.pool.tasks().dump_into(&mut dump);
        dump.sorted()
    }
}

/// The schedule function of every runtime task: the current worker's queues
/// when woken on one of this runtime's workers, else the global queue.
pub(crate) fn schedule(runnable: Runnable, info: ScheduleInfo) {
    runnable.metadata().set_scheduled();
    let meta = runnable.metadata();
    match worker::current_for(meta) {
        Some(local) => local.schedule(runnable, info.woken_while_running),
        None => {
            let core = meta.core.clone();
            core.schedule_remote(runnable);
        }
    }
}

impl Scheduler for Shared {
    fn schedule_remote(&self, runnable: Runnable) {
        self.push_remote(runnable);
    }

    fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    fn histograms(&self) -> bool {
        self.config.observe.histograms
    }
}

impl metrics::Source for Shared {
    fn metrics(&self) -> Metrics {
        Shared::metrics(self)
    }
}

/// The runtime as the protocol's [`Spawn`]: what a
/// [`Handle`](baton_protocol::Handle) of the runtime holds.
pub(crate) struct Spawner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) core: Core,
}

impl Spawn for Spawner {
    fn spawn_erased(
        &self,
        future: BoxErased,
        options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        let join = self.shared.spawn_erased(&self.core, future, options)?;
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
