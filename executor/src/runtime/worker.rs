//! The worker loop of the multi-thread runtime.
//!
//! Each worker owns a FIFO queue (stealable by the others) and a LIFO slot
//! (not stealable): a task woken by the task running on this worker goes to
//! the slot and runs next, so a message-passing pair stays hot on one core;
//! the task it displaces goes to the back of the queue. A task spawned here
//! takes the slot only when it is empty, so a chain of spawns stays on one
//! core too. At most
//! [`MAX_LIFO_POLLS`] slot tasks run in a row, so such a pair cannot starve
//! the queue. A task woken *while it runs* (`yield_now`, a spent budget,
//! `sleep(0)`) is deferred: it joins the back of the queue only after the
//! reactor was polled, so it runs after the work queued before it and after
//! I/O that became ready meanwhile.
//!
//! The loop, per tick:
//!
//! 1. every `event_interval` task polls (M, 61 by default), a *maintenance*
//!    turn: the reactor is polled without blocking (if no other worker is
//!    waiting in it), a batch of the global queue is moved here, then the
//!    deferred tasks are queued: I/O and timers are served even when every
//!    worker is busy;
//! 2. the next task: every `global_queue_interval` ticks (N, 61 by default)
//!    the global queue first, else the LIFO slot, the local queue, and a
//!    batch from the global queue;
//! 3. with nothing local: a maintenance turn if tasks are deferred, else
//!    stealing (a batch from a random other worker's queue, then the global
//!    queue), at most half the workers searching at once;
//! 4. else park: one idle worker waits in the reactor (the first to take the
//!    driver token), the others on their condvars; see [`Idle`] for who is
//!    woken when work arrives.
//!
//! [`Idle`]: super::idle::Idle

use std::cell::{Cell, RefCell};
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use baton_protocol::{Error, Handle};
use crossbeam_deque::{Steal, Worker as Queue};

use super::shared::Shared;
use crate::context;
use crate::rng::Rng;
use crate::task::{self, Runnable, TaskInfo};

/// LIFO-slot tasks run in a row before the slot yields to the queue.
const MAX_LIFO_POLLS: u32 = 3;

thread_local! {
    static WORKER: RefCell<Option<Rc<Local>>> = const { RefCell::new(None) };
}

/// A worker's queues, reachable from its thread's schedule calls.
pub(crate) struct Local {
    shared: Arc<Shared>,
    index: usize,
    queue: Queue<Runnable>,
    lifo: Cell<Option<Runnable>>,
    deferred: RefCell<Vec<Runnable>>,
    /// In shuffle mode, the tasks the worker picks from at random; not
    /// stealable.
    shuffled: RefCell<Vec<Runnable>>,
    lifo_enabled: bool,
    /// Set while the worker polls the reactor: tasks the dispatch queues
    /// here do not wake other workers one by one; the worker decides once,
    /// afterwards.
    quiet: Cell<bool>,
}

/// The current thread's worker, if it is one of `shared`'s.
pub(crate) fn current_of(shared: &Arc<Shared>) -> Option<Rc<Local>> {
    WORKER
        .try_with(|w| {
            w.borrow()
                .as_ref()
                .filter(|local| Arc::ptr_eq(&local.shared, shared))
                .cloned()
        })
        .ok()
        .flatten()
}

/// The current thread's worker, if it belongs to the runtime of `task`.
#[inline]
pub(crate) fn current_for(task: &TaskInfo) -> Option<Rc<Local>> {
    WORKER
        .try_with(|w| {
            w.borrow()
                .as_ref()
                .filter(|local| task.core.is(&local.shared))
                .cloned()
        })
        .ok()
        .flatten()
}

impl Local {
    /// Queues a task woken on this worker.
    pub(crate) fn schedule(&self, runnable: Runnable, yielded: bool) {
        if self.shared.tasks.is_closed() {
            // Shutdown drains the global queue; this worker may be gone.
            self.shared.injector.push(runnable);
            self.shared.tasks.queued();
            return;
        }
        if yielded {
            self.deferred.borrow_mut().push(runnable);
            return;
        }
        if self.lifo_enabled {
            match self.lifo.replace(Some(runnable)) {
                None => return,
                Some(previous) => self.queue.push(previous),
            }
        } else {
            self.queue.push(runnable);
        }
        if !self.quiet.get() {
            self.shared.notify_parked();
        }
    }

    /// Queues a task spawned on this worker: in the LIFO slot if it is
    /// empty, else at the back of the queue.
    ///
    /// The slot keeps a chain of spawns (each task spawning the next) on
    /// this worker, as it keeps a message-passing pair: queued, each child
    /// woke a parked worker that stole it, and the chain crossed cores at
    /// every hop (`chained_spawn 100000` on 2 workers: 1.27× tokio's
    /// multi-thread runtime, whose spawns take the slot). A child never
    /// displaces the slot's task, so a parent's spawns still start in the
    /// order it made them, the first from the slot.
    pub(crate) fn push_spawned(&self, runnable: Runnable) {
        let runnable = if self.lifo_enabled {
            match self.lifo.replace(None) {
                None => {
                    self.lifo.set(Some(runnable));
                    return;
                }
                Some(held) => {
                    self.lifo.set(Some(held));
                    runnable
                }
            }
        } else {
            runnable
        };
        self.queue.push(runnable);
        if !self.quiet.get() {
            self.shared.notify_parked();
        }
    }

    fn has_tasks(&self) -> bool {
        let lifo = self.lifo.take();
        let has = lifo.is_some();
        self.lifo.set(lifo);
        has || !self.queue.is_empty() || !self.shuffled.borrow().is_empty()
    }

    fn has_deferred(&self) -> bool {
        !self.deferred.borrow().is_empty()
    }

    /// Queues the deferred tasks at the back.
    fn flush_deferred(&self) {
        // Drained in place: the buffer keeps its capacity, so a task that
        // yields in a loop costs no allocation per round. Pushing runs no
        // task code, so the borrow cannot be met again meanwhile.
        let mut deferred = self.deferred.borrow_mut();
        for runnable in deferred.drain(..) {
            self.queue.push(runnable);
        }
    }

    /// More than one task queued here: worth waking a worker to steal.
    fn should_notify_others(&self) -> bool {
        self.queue.len() > 1
    }

    /// Drops every task this worker holds (at shutdown).
    fn drop_all(&self) {
        // Taken out first, dropped after: a destructor may wake another
        // task, and that schedule call must not meet a borrow held here.
        let lifo = self.lifo.take();
        let deferred = mem::take(&mut *self.deferred.borrow_mut());
        let shuffled = mem::take(&mut *self.shuffled.borrow_mut());
        drop(lifo);
        drop(deferred);
        drop(shuffled);
        while let Some(runnable) = self.queue.pop() {
            drop(runnable);
        }
    }
}

/// What worker threads are started with.
#[derive(Clone)]
pub(crate) struct ThreadConfig {
    pub(crate) name: Arc<dyn Fn(usize) -> String + Send + Sync>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_start: Option<Arc<dyn Fn() + Send + Sync>>,
    pub(crate) on_stop: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// Starts one thread per queue.
///
/// # Errors
///
/// [`Error::Io`] if a thread cannot be started; the threads already started
/// are left running for the caller's shutdown to stop.
pub(crate) fn start(
    shared: &Arc<Shared>,
    handle: &Handle,
    queues: Vec<Queue<Runnable>>,
    config: &ThreadConfig,
) -> Result<(), Error> {
    for (index, queue) in queues.into_iter().enumerate() {
        let mut builder = thread::Builder::new().name((config.name)(index));
        if let Some(size) = config.stack_size {
            builder = builder.stack_size(size);
        }
        let shared_for_thread = Arc::clone(shared);
        let handle = handle.clone();
        let config = config.clone();
        let thread = builder
            .spawn(move || run_thread(shared_for_thread, handle, index, queue, &config))
            .map_err(Error::Io)?;
        shared
            .threads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(thread);
    }
    Ok(())
}

fn run_thread(
    shared: Arc<Shared>,
    handle: Handle,
    index: usize,
    queue: Queue<Runnable>,
    config: &ThreadConfig,
) {
    context::set_worker_of(shared.id);
    let _enter = handle.enter();
    let local = Rc::new(Local {
        shared: Arc::clone(&shared),
        index,
        queue,
        lifo: Cell::new(None),
        deferred: RefCell::new(Vec::new()),
        shuffled: RefCell::new(Vec::new()),
        lifo_enabled: shared.config.shuffle.is_none(),
        quiet: Cell::new(false),
    });
    let _ = WORKER.try_with(|w| *w.borrow_mut() = Some(Rc::clone(&local)));
    call_hook(config.on_start.as_deref());
    let seed = shared.config.shuffle.unwrap_or(0x5eed) ^ (index as u64).wrapping_mul(0x9e37_79b9);
    let shared_interval = shared.config.global_queue_interval;
    // Active from here until the loop ends (for the busy ratio); the guard
    // borrows its own reference, since the worker takes `shared`.
    let counters = Arc::clone(&shared);
    let active = counters.counters[index].active();
    let mut worker = Worker {
        local,
        shared,
        global_countdown: shared_interval,
        polls_since_maintenance: 0,
        is_searching: false,
        rng: Rng::new(seed),
    };
    worker.run();
    drop(active);
    worker.local.drop_all();
    worker.shared.drain_injector();
    let _ = WORKER.try_with(|w| w.borrow_mut().take());
    call_hook(config.on_stop.as_deref());
    worker.shared.worker_exited();
}

/// Runs a thread hook; a panic in it is reported, not allowed to take the
/// worker down.
fn call_hook(hook: Option<&(dyn Fn() + Send + Sync)>) {
    if let Some(hook) = hook
        && let Err(payload) = panic::catch_unwind(AssertUnwindSafe(hook))
    {
        task::report(&Error::from_panic(&*payload));
    }
}

/// The loop state of one worker.
struct Worker {
    local: Rc<Local>,
    shared: Arc<Shared>,
    /// Ticks left until the global queue goes first (counts down from N).
    global_countdown: u32,
    polls_since_maintenance: u32,
    is_searching: bool,
    rng: Rng,
}

impl Worker {
    fn run(&mut self) {
        while !self.shared.tasks.is_closed() {
            if self.polls_since_maintenance >= self.shared.config.event_interval {
                self.maintenance();
            }
            if let Some(task) = self.next_task() {
                self.run_task(task);
                continue;
            }
            if self.local.has_deferred() {
                self.maintenance();
                continue;
            }
            if let Some(task) = self.steal_work() {
                self.run_task(task);
                continue;
            }
            self.park();
        }
    }

    fn run_task(&mut self, task: Runnable) {
        if self.is_searching {
            self.is_searching = false;
            if self.shared.idle.transition_worker_from_searching() {
                // The last searcher found work: keep the search going.
                self.shared.notify_parked();
            }
        }
        self.poll(task);
        let mut lifo_polls = 0;
        while let Some(next) = self.local.lifo.take() {
            if lifo_polls >= MAX_LIFO_POLLS
                || self.polls_since_maintenance >= self.shared.config.event_interval
            {
                self.local.queue.push(next);
                self.shared.notify_parked();
                break;
            }
            lifo_polls += 1;
            self.poll(next);
        }
    }

    fn poll(&mut self, task: Runnable) {
        if self.shared.tasks.is_closed() {
            // Never poll after shutdown began: dropping the runnable drops
            // the future.
            drop(task);
            return;
        }
        self.polls_since_maintenance += 1;
        self.shared.counters[self.local.index].run(task);
    }

    /// A non-blocking reactor turn (unless another thread drives it), then
    /// the deferred tasks are queued.
    fn maintenance(&mut self) {
        self.polls_since_maintenance = 0;
        self.local.quiet.set(true);
        if let Some(guard) = self.shared.driver.try_acquire() {
            guard.turn(Some(Duration::ZERO), false);
            drop(guard);
            self.shared.driver_released();
        }
        self.local.quiet.set(false);
        // Work queued from other threads before the deferred tasks yielded
        // goes ahead of them too.
        if !self.shared.injector.is_empty() {
            let _ = self.shared.injector.steal_batch(&self.local.queue);
        }
        self.local.flush_deferred();
        if !self.is_searching && self.local.should_notify_others() {
            self.shared.notify_parked();
        }
    }

    fn next_task(&mut self) -> Option<Runnable> {
        if self.shared.config.shuffle.is_some() {
            return self.next_shuffled();
        }
        self.global_countdown -= 1;
        if self.global_countdown == 0 {
            self.global_countdown = self.shared.config.global_queue_interval;
            if let Some(task) = self.steal_injector_one() {
                return Some(task);
            }
        }
        if let Some(task) = self.local.lifo.take() {
            return Some(task);
        }
        if let Some(task) = self.local.queue.pop() {
            return Some(task);
        }
        self.steal_injector_batch()
    }

    /// Shuffle mode: every queued task is a candidate, picked at random.
    fn next_shuffled(&mut self) -> Option<Runnable> {
        let mut shuffled = self.local.shuffled.borrow_mut();
        while let Some(task) = self.local.queue.pop() {
            shuffled.push(task);
        }
        if shuffled.is_empty() {
            drop(shuffled);
            let task = self.steal_injector_batch()?;
            shuffled = self.local.shuffled.borrow_mut();
            shuffled.push(task);
            while let Some(task) = self.local.queue.pop() {
                shuffled.push(task);
            }
        }
        let at = self.rng.below(shuffled.len());
        Some(shuffled.swap_remove(at))
    }

    fn steal_injector_one(&self) -> Option<Runnable> {
        loop {
            match self.shared.injector.steal() {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    fn steal_injector_batch(&self) -> Option<Runnable> {
        loop {
            match self.shared.injector.steal_batch_and_pop(&self.local.queue) {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    fn steal_work(&mut self) -> Option<Runnable> {
        if !self.is_searching {
            self.is_searching = self.shared.idle.transition_worker_to_searching();
        }
        if !self.is_searching {
            return None;
        }
        let workers = self.shared.stealers.len();
        let start = self.rng.below(workers);
        for i in 0..workers {
            let victim = (start + i) % workers;
            if victim == self.local.index {
                continue;
            }
            loop {
                match self.shared.stealers[victim].steal_batch_and_pop(&self.local.queue) {
                    Steal::Success(task) => {
                        self.shared.counters[self.local.index].steal();
                        return Some(task);
                    }
                    Steal::Empty => break,
                    Steal::Retry => {}
                }
            }
        }
        self.steal_injector_batch()
    }

    fn park(&mut self) {
        if self.local.has_tasks() {
            return;
        }
        let index = self.local.index;
        let last_searcher = self
            .shared
            .idle
            .transition_worker_to_parked(index, self.is_searching);
        self.is_searching = false;
        if last_searcher {
            self.shared.notify_if_work_pending();
        }
        self.shared.counters[index].park();
        while !self.shared.tasks.is_closed() {
            self.local.quiet.set(true);
            let shared = &self.shared;
            shared.counters[index]
                .sleep(|| shared.parkers[index].park(&shared.driver, || shared.is_idle()));
            self.local.quiet.set(false);
            self.local.flush_deferred();
            if self.transition_from_parked() {
                break;
            }
        }
        if !self.is_searching && self.local.should_notify_others() {
            self.shared.notify_parked();
        }
    }

    /// Whether to leave the park loop: the worker has tasks of its own
    /// (queued by the reactor it drove), or it was taken out of the sleepers
    /// list by a notification (it then searches).
    fn transition_from_parked(&mut self) -> bool {
        let index = self.local.index;
        if self.local.has_tasks() {
            self.is_searching = !self.shared.idle.unpark_worker_by_id(index);
            return true;
        }
        if self.shared.idle.is_parked(index) {
            return false;
        }
        self.is_searching = true;
        true
    }
}
