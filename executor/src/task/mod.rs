//! Tasks: async-task runnables with baton's per-task record attached.
//!
//! Every task of every executor in this crate is an `async_task` task whose
//! metadata is a [`TaskInfo`] and whose future is a [`TaskFuture`] around the
//! user's future. The wrapper does, around each poll, what the protocol asks
//! of an executor (budget, wait report, panic capture, cancellation, the
//! lost-waker check); the record is what task dumps, `abort` and shutdown
//! reach the task through.

mod dump;
mod future;
mod join;
mod lost;
mod registry;

use std::future::Future;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_task::ScheduleInfo;
use baton_protocol::Error;
use baton_protocol::task::{SpawnOptions, TaskId};
use baton_protocol::wait::WaitFor;

pub use dump::{Dump, TaskDump, TaskState};
pub(crate) use future::{TaskFuture, report};
pub use join::JoinHandle;
pub use lost::LostWaker;
pub(crate) use registry::Tasks;

/// A runnable task of this crate: an async-task runnable carrying its record.
pub(crate) type Runnable = async_task::Runnable<Meta>;

/// The metadata of every task: its record, shared with the registry and the
/// join handle.
pub(crate) type Meta = Arc<TaskInfo>;

/// What an executor provides to its tasks, whatever thread they are woken on.
pub(crate) trait Scheduler: Send + Sync + 'static {
    /// Queues a task woken where the executor's thread-local fast path does
    /// not apply (another thread, or after shutdown began).
    fn schedule_remote(&self, runnable: Runnable);

    /// The executor's registry of live tasks.
    fn tasks(&self) -> &Tasks;
}

/// How a task was started: by `spawn` (a future) or by `spawn_blocking`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Future,
    Blocking,
}

/// The record of one task, shared by its runnable (as async-task metadata),
/// the registry and its join handle.
///
/// # Invariant
///
/// `slot` is written once, under the registry shard's lock, before the task
/// is first scheduled; it is `NO_SLOT` only for a task whose registration
/// was refused (it is then dropped without ever being scheduled).
pub(crate) struct TaskInfo {
    pub(crate) id: TaskId,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) kind: Kind,
    pub(crate) core: Arc<dyn Scheduler>,
    slot: AtomicUsize,
    /// One of the `STATE_*` constants; written by the schedule function and
    /// the task future, read only by dumps.
    state: AtomicU8,
    /// Set by `abort` and by shutdown; read by the task future before each
    /// poll, so a cancelled task is never polled again.
    cancelled: AtomicBool,
    /// Whether the lost-waker check already reported this task.
    lost_reported: AtomicBool,
    /// What the task waits on, as its last pending poll reported.
    wait: Mutex<Option<WaitFor>>,
}

const NO_SLOT: usize = usize::MAX;
const STATE_SCHEDULED: u8 = 0;
const STATE_RUNNING: u8 = 1;
const STATE_IDLE: u8 = 2;

impl TaskInfo {
    fn new(id: TaskId, options: SpawnOptions, core: Arc<dyn Scheduler>, kind: Kind) -> TaskInfo {
        TaskInfo {
            id,
            name: options.name,
            location: options.location,
            kind,
            core,
            slot: AtomicUsize::new(NO_SLOT),
            state: AtomicU8::new(STATE_SCHEDULED),
            cancelled: AtomicBool::new(false),
            lost_reported: AtomicBool::new(false),
            wait: Mutex::new(None),
        }
    }

    /// Marks the task queued; the schedule functions call it.
    #[inline]
    pub(crate) fn set_scheduled(&self) {
        self.state.store(STATE_SCHEDULED, Ordering::Relaxed);
    }

    fn set_state(&self, state: u8) {
        self.state.store(state, Ordering::Relaxed);
    }

    fn state(&self) -> TaskState {
        match self.state.load(Ordering::Relaxed) {
            STATE_RUNNING => TaskState::Running,
            STATE_IDLE => TaskState::Waiting,
            _ => TaskState::Scheduled,
        }
    }

    fn set_wait(&self, wait: Option<WaitFor>) {
        *self.wait.lock().unwrap_or_else(PoisonError::into_inner) = wait;
    }

    fn wait(&self) -> Option<WaitFor> {
        *self.wait.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether cancellation was requested.
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Requests cancellation and wakes the task so that it drops its future.
    /// Idempotent.
    pub(crate) fn cancel(&self) {
        if !self.cancelled.swap(true, Ordering::AcqRel) {
            self.core.tasks().wake(self);
        }
    }
}

impl Drop for TaskInfo {
    fn drop(&mut self) {
        // The task allocation is being freed: it no longer counts as alive.
        self.core.tasks().task_freed(self.id);
    }
}

/// Creates a task for `future` on `core`, registered and ready to be queued.
///
/// # Errors
///
/// [`Error::Shutdown`] once `core`'s registry is closed; `future` has been
/// dropped, never polled, when this returns.
pub(crate) fn spawn<F, S>(
    core: Arc<dyn Scheduler>,
    future: F,
    options: SpawnOptions,
    check_lost: bool,
    schedule: S,
) -> Result<(Runnable, JoinHandle<F::Output>), Error>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    spawn_with(core, options, Kind::Future, |builder| {
        builder.spawn(
            move |info: &Meta| TaskFuture::new(future, Arc::clone(info), check_lost),
            async_task::WithInfo(schedule),
        )
    })
}

/// [`spawn`] for a future that is not `Send`: the runnable must be run and
/// dropped on the calling thread.
pub(crate) fn spawn_local<F, S>(
    core: Arc<dyn Scheduler>,
    future: F,
    options: SpawnOptions,
    check_lost: bool,
    schedule: S,
) -> Result<(Runnable, JoinHandle<F::Output>), Error>
where
    F: Future + 'static,
    F::Output: 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    spawn_with(core, options, Kind::Future, |builder| {
        builder.spawn_local(
            move |info: &Meta| TaskFuture::new(future, Arc::clone(info), check_lost),
            async_task::WithInfo(schedule),
        )
    })
}

/// Creates a task that runs `f` once, on whatever thread polls it: the
/// blocking pool's jobs.
pub(crate) fn spawn_blocking<F, R, S>(
    core: Arc<dyn Scheduler>,
    f: F,
    options: SpawnOptions,
    schedule: S,
) -> Result<(Runnable, JoinHandle<R>), Error>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    spawn_with(core, options, Kind::Blocking, |builder| {
        builder.spawn(
            move |info: &Meta| TaskFuture::new(future::RunOnce::new(f), Arc::clone(info), false),
            async_task::WithInfo(schedule),
        )
    })
}

fn spawn_with<T>(
    core: Arc<dyn Scheduler>,
    options: SpawnOptions,
    kind: Kind,
    build: impl FnOnce(
        async_task::Builder<Meta>,
    ) -> (Runnable, async_task::Task<future::Output<T>, Meta>),
) -> Result<(Runnable, JoinHandle<T>), Error> {
    if core.tasks().is_closed() {
        return Err(Error::Shutdown);
    }
    let id = core.tasks().next_id();
    let info = Arc::new(TaskInfo::new(id, options, core, kind));
    info.core.tasks().task_created(id);
    let (runnable, task) = build(async_task::Builder::new().metadata(info));
    let handle = JoinHandle::new(task);
    if let Err(e) = runnable.metadata().core.tasks().register(&runnable) {
        // Dropping the runnable first drops the future, never polled; the
        // handle then finds the task closed and frees it.
        drop(runnable);
        drop(handle);
        return Err(e);
    }
    Ok((runnable, handle))
}
