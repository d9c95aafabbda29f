//! [`HostState`]: the bookkeeping a host backend (a runtime baton does not
//! own, such as tokio or smol, running protocol code) shares between its
//! spawner, its driver and its entry points: the handle, the live tasks,
//! their ids, and what each one waits on, for task dumps.

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::task::Poll;
use std::time::Instant;

use baton_protocol::Handle;
use baton_protocol::dump::{Dump, TaskDump, TaskState};
use baton_protocol::task::{SpawnOptions, TaskId};
use baton_protocol::wait::{self, WaitFor};
use slab::Slab;

thread_local! {
    /// The host task being polled on this thread, as `(HostState address,
    /// task id)`; `(0, 0)` outside: what a spawn records as its parent.
    static CURRENT: Cell<(usize, u64)> = const { Cell::new((0, 0)) };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A host's shared state: the protocol handle it serves, its live tasks,
/// its task ids, and the records of tasks spawned with
/// [`spawned`](HostState::spawned), which its [`dump`](HostState::dump)
/// lists.
///
/// # Invariant
///
/// The handle is `Some` from the host's start ([`set_handle`]) until it
/// stops ([`stop`], or its driver task dropped with the host runtime); then
/// `None` for ever. Taking it breaks the cycle handle → spawner → state →
/// handle when the host stops.
///
/// [`set_handle`]: HostState::set_handle
/// [`stop`]: HostState::stop
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use baton_reactor_kit::HostState;
///
/// let state = Arc::new(HostState::default());
/// let task = state.live_task();
/// assert_eq!(state.alive_tasks(), 1);
/// drop(task);
/// assert_eq!(state.alive_tasks(), 0);
/// assert!(state.handle().is_none(), "not started");
/// ```
#[derive(Default)]
pub struct HostState {
    handle: RwLock<Option<Handle>>,
    alive: AtomicUsize,
    ids: AtomicU64,
    /// Task polls in progress through [`HostState::poll_gate`].
    polls: AtomicUsize,
    /// Set by [`HostState::stop`]: no gated poll starts afterwards.
    closed: AtomicBool,
    /// The records of tasks whose future has not finished.
    records: Mutex<Slab<Arc<Record>>>,
}

/// What a dump shows of one host task.
///
/// # Invariant
///
/// `state`, `wait` and `polls` are written only by the thread polling the
/// task (the host polls a task on one thread at a time).
struct Record {
    id: TaskId,
    name: Option<Arc<str>>,
    location: &'static Location<'static>,
    parent: Option<TaskId>,
    state: AtomicU8,
    wait: Mutex<Option<WaitFor>>,
    polls: AtomicU64,
}

const SCHEDULED: u8 = 0;
const RUNNING: u8 = 1;
const WAITING: u8 = 2;

impl Record {
    fn snapshot(&self, taken_at: Instant) -> TaskDump {
        // Released last by the poller: read first.
        let state = match self.state.load(Ordering::Acquire) {
            RUNNING => TaskState::Running,
            WAITING => TaskState::Waiting,
            _ => TaskState::Scheduled,
        };
        TaskDump::new(self.id, self.location, state, taken_at)
            .name(self.name.clone())
            .parent(self.parent)
            .waits_for(*lock(&self.wait))
            .polls(self.polls.load(Ordering::Relaxed), None)
    }
}

thread_local! {
    /// The hosts (by address) whose gated polls are in progress on this
    /// thread, innermost last: a `stop` from inside one of its own tasks
    /// must not wait for the poll it is called from.
    static POLLING_HERE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// A task poll allowed by [`HostState::poll_gate`]; [`HostState::stop`]
/// waits for it to be dropped.
#[must_use = "the poll is allowed while the gate is held"]
pub struct PollGate<'a>(&'a HostState);

impl Drop for PollGate<'_> {
    fn drop(&mut self) {
        POLLING_HERE.with(|here| here.borrow_mut().pop());
        self.0.polls.fetch_sub(1, Ordering::Release);
    }
}

impl HostState {
    /// The protocol's handle, unless the host has not started or stopped.
    pub fn handle(&self) -> Option<Handle> {
        self.handle
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Installs the handle (once, at start).
    pub fn set_handle(&self, handle: Handle) {
        *self.handle.write().unwrap_or_else(PoisonError::into_inner) = Some(handle);
    }

    /// Lets one poll of a task's future happen, or `None` once the host
    /// stopped: the task then drops its future unpolled.
    ///
    /// A host runtime (tokio's multi-thread one) may poll tasks its workers
    /// already picked while its shutdown drops others; the gate is how the
    /// glue keeps the protocol's "no future is polled after shutdown
    /// starts": [`stop`](HostState::stop) closes it and waits for the polls
    /// in progress, so stopping the host first makes that rule exact.
    pub fn poll_gate(&self) -> Option<PollGate<'_>> {
        // SeqCst with `stop`'s store and load: either the stopper sees this
        // poll counted and waits for it, or this sees the gate closed.
        self.polls.fetch_add(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.polls.fetch_sub(1, Ordering::Release);
            return None;
        }
        POLLING_HERE.with(|here| here.borrow_mut().push(self.addr()));
        Some(PollGate(self))
    }

    /// Marks the host stopped: the poll gate closes (no task future is
    /// polled again; each drops its future when next polled) and this
    /// waits for the polls in progress on other threads; the handle is
    /// gone, so later spawns fail with [`Error::Shutdown`](baton_protocol::Error::Shutdown);
    /// shuts the reactor down, waking every waiter with it. Idempotent.
    pub fn stop(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let own = POLLING_HERE.with(|here| {
            let addr = self.addr();
            here.borrow().iter().filter(|&&a| a == addr).count()
        });
        // Polls end by themselves (the gate is closed, none starts): this
        // waits as long as the longest one in progress, like a runtime's
        // shutdown waits for its workers' current polls.
        while self.polls.load(Ordering::SeqCst) > own {
            std::thread::yield_now();
        }
        let handle = self
            .handle
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            handle.reactor().shutdown();
        }
    }

    /// A fresh task id, never zero.
    pub fn next_id(&self) -> TaskId {
        let id = self.ids.fetch_add(1, Ordering::Relaxed) + 1;
        TaskId::new(id.max(1)).expect("at least one")
    }

    /// Counts one more live task until the returned token is dropped. The
    /// task has no record: dumps do not list it (see
    /// [`spawned`](HostState::spawned)).
    pub fn live_task(self: &Arc<Self>) -> LiveTask {
        self.alive.fetch_add(1, Ordering::Relaxed);
        LiveTask {
            state: Arc::clone(self),
            record: None,
        }
    }

    /// [`live_task`](HostState::live_task) for task `id`, spawned with
    /// `options`, with a record that [`dump`](HostState::dump) lists until
    /// the task [`finished`](LiveTask::finished) or the token is dropped.
    /// Its parent is the task of this host being polled on the calling
    /// thread, if any. Poll the task through [`LiveTask::poll`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::task::Poll;
    /// use baton_reactor_kit::HostState;
    /// use baton_protocol::task::SpawnOptions;
    /// use baton_protocol::wait::{self, WaitFor};
    ///
    /// let state = Arc::new(HostState::default());
    /// let id = state.next_id();
    /// let task = state.spawned(id, &SpawnOptions::here().with_name("worker"));
    /// let polled: Poll<()> = task.poll(|| {
    ///     wait::report(WaitFor::Label("a reply"));
    ///     Poll::Pending
    /// });
    /// assert!(polled.is_pending());
    /// let dump = state.dump();
    /// assert!(dump.to_string().contains("(worker, spawned at "));
    /// assert!(dump.to_string().contains(") waits for a reply ["));
    /// ```
    pub fn spawned(self: &Arc<Self>, id: TaskId, options: &SpawnOptions) -> LiveTask {
        let me = Arc::as_ptr(self).addr();
        let parent = match CURRENT.try_with(Cell::get) {
            Ok((state, parent)) if state == me => TaskId::new(parent),
            _ => None,
        };
        let record = Arc::new(Record {
            id,
            name: options.name.clone(),
            location: options.location,
            parent,
            state: AtomicU8::new(SCHEDULED),
            wait: Mutex::new(None),
            polls: AtomicU64::new(0),
        });
        let slot = lock(&self.records).insert(Arc::clone(&record));
        let mut live = self.live_task();
        live.record = Some((slot, record));
        live
    }

    /// A snapshot of the tasks spawned with [`spawned`](HostState::spawned)
    /// whose future has not finished: what the host's
    /// [`Spawn::dump`](baton_protocol::Spawn::dump) returns. Poll times are not
    /// measured (the dump says so); deadlines are measured against the
    /// reactor's clock, or the real one once the host stopped (the dump
    /// then says it is shutting down).
    ///
    /// Holds the records' lock for one pass over them; never waits for a
    /// poll.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use baton_reactor_kit::HostState;
    /// use baton_protocol::task::SpawnOptions;
    ///
    /// let state = Arc::new(HostState::default());
    /// let mut task = state.spawned(state.next_id(), &SpawnOptions::here());
    /// assert_eq!(state.dump().tasks.len(), 1);
    /// // Not started (no handle): the dump says it is shutting down.
    /// assert!(state.dump().shutting_down);
    /// task.finished();
    /// assert!(state.dump().tasks.is_empty());
    /// assert_eq!(state.alive_tasks(), 1, "alive until the token is dropped");
    /// ```
    pub fn dump(&self) -> Dump {
        let handle = self.handle();
        let taken_at = handle
            .as_ref()
            .map_or_else(Instant::now, |h| h.reactor().now());
        let mut dump = Dump::new(taken_at).shutting_down(handle.is_none());
        dump.tasks.extend(
            lock(&self.records)
                .iter()
                .map(|(_, record)| record.snapshot(taken_at)),
        );
        dump.sorted()
    }

    /// Tasks spawned and not yet dropped.
    pub fn alive_tasks(&self) -> usize {
        self.alive.load(Ordering::Acquire)
    }

    fn addr(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }
}

/// One live task of a host, counted by its [`HostState`] until dropped,
/// and listed in its dumps until it [`finished`](LiveTask::finished) if it
/// has a record ([`HostState::spawned`]).
pub struct LiveTask {
    state: Arc<HostState>,
    /// The record's slot in `state.records`, and the record.
    record: Option<(usize, Arc<Record>)>,
}

impl LiveTask {
    /// The host this task is counted by.
    pub fn host(&self) -> &HostState {
        &self.state
    }

    /// Runs `poll`, one poll of the task's future, as the protocol asks of
    /// an executor for dumps: the task is the thread's current one (the
    /// parent of what it spawns), the wait slot is cleared before and read
    /// after, and a `Pending` poll is counted with its report kept. Without
    /// a record, only runs `poll`.
    ///
    /// # Examples
    ///
    /// See [`HostState::spawned`].
    pub fn poll<R>(&self, poll: impl FnOnce() -> Poll<R>) -> Poll<R> {
        let Some((_, record)) = &self.record else {
            return poll();
        };
        struct Restore((usize, u64));
        impl Drop for Restore {
            fn drop(&mut self) {
                let _ = CURRENT.try_with(|c| c.set(self.0));
            }
        }
        let me = (Arc::as_ptr(&self.state).addr(), record.id.get());
        let _restore = Restore(CURRENT.try_with(|c| c.replace(me)).unwrap_or((0, 0)));
        record.state.store(RUNNING, Ordering::Relaxed);
        let _stale = wait::take();
        let polled = poll();
        let reported = wait::take();
        if polled.is_pending() {
            *lock(&record.wait) = reported;
            let polls = record.polls.load(Ordering::Relaxed);
            record.polls.store(polls + 1, Ordering::Relaxed);
            record.state.store(WAITING, Ordering::Release);
        }
        polled
    }

    /// The task's future has finished (returned, panicked or been
    /// cancelled): dumps no longer list it, though it counts as alive until
    /// this token is dropped (with its output).
    ///
    /// # Examples
    ///
    /// See [`HostState::dump`].
    pub fn finished(&mut self) {
        if let Some((slot, record)) = self.record.take() {
            let removed = lock(&self.state.records).try_remove(slot);
            // Dropped outside the lock.
            drop((removed, record));
        }
    }
}

impl Drop for LiveTask {
    fn drop(&mut self) {
        self.finished();
        self.state.alive.fetch_sub(1, Ordering::Release);
    }
}
