//! Tasks: async-task runnables with baton's per-task record inside.
//!
//! Every task of every executor in this crate is one async-task allocation
//! whose metadata is the task's [`TaskInfo`] and whose future is a
//! [`TaskFuture`] around the user's future. The wrapper does, around each
//! poll, what the protocol asks of an executor (budget, wait report, panic
//! capture, cancellation, the lost-waker check), reading and writing the
//! record it borrows; the registry ([`Tasks`]) keeps a waker per task and
//! reaches the record through it, for shutdown, `abort` and task dumps (see
//! [`raw`] for why this is sound).

mod future;
mod info;
mod join;
mod lost;
mod raw;
mod registry;
mod report;
mod site;

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use async_task::ScheduleInfo;
use baton_protocol::Error;
use baton_protocol::task::{BoxErased, SpawnOptions};

pub(crate) use future::{Erased, report};
pub(crate) use info::{Kind, TaskInfo};
pub use join::JoinHandle;
pub use lost::LostWaker;
pub(crate) use raw::prefetch;
pub(crate) use registry::Tasks;

/// What an executor asks of its tasks around each poll besides running
/// them, fixed when it is built.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Instrument {
    /// The lost-waker check ([`lost`]).
    pub(crate) check_lost: bool,
    /// Poll times and state durations for dumps: two clock reads per poll.
    pub(crate) poll_timing: bool,
}

/// A runnable task of this crate: an async-task runnable carrying its record.
pub(crate) type Runnable = async_task::Runnable<TaskInfo>;

/// What an executor provides to its tasks, whatever thread they are woken on.
pub(crate) trait Scheduler: Send + Sync + 'static {
    /// Queues a task woken where the executor's thread-local fast path does
    /// not apply (another thread, or after shutdown began).
    fn schedule_remote(&self, runnable: Runnable);

    /// The executor's registry of live tasks.
    fn tasks(&self) -> &Tasks;

    /// Whether the current thread is the one that runs the executor's local
    /// (not `Send`) tasks; executors without such tasks keep the default.
    fn is_owner_thread(&self) -> bool {
        false
    }

    /// Whether the executor keeps the scheduled-to-run histogram, so its
    /// tasks stamp their wakes; executors without it keep the default.
    fn histograms(&self) -> bool {
        false
    }
}

/// An executor as its tasks reach it: a thin pointer to its scheduler, 8
/// bytes in every task record rather than the 16 of an `Arc<dyn Scheduler>`,
/// and what a spawn needs to know without a virtual call. Each executor
/// makes one when it is built and clones it into every task.
#[derive(Clone)]
pub(crate) struct Core(Arc<CoreInner>);

struct CoreInner {
    scheduler: Arc<dyn Scheduler>,
    /// [`Scheduler::histograms`], read once.
    histograms: bool,
}

impl Core {
    pub(crate) fn new<S: Scheduler>(scheduler: &Arc<S>) -> Core {
        Core(Arc::new(CoreInner {
            histograms: scheduler.histograms(),
            scheduler: Arc::clone(scheduler) as Arc<dyn Scheduler>,
        }))
    }

    /// A number that identifies this executor among the live ones: the
    /// address its tasks share.
    #[inline]
    pub(crate) fn key(&self) -> usize {
        Arc::as_ptr(&self.0).addr()
    }

    /// Whether this is the core of `scheduler`.
    #[inline]
    pub(crate) fn is<S>(&self, scheduler: &Arc<S>) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0.scheduler), Arc::as_ptr(scheduler))
    }

    /// Whether the executor keeps the scheduled-to-run histogram.
    #[inline]
    pub(crate) fn histograms(&self) -> bool {
        self.0.histograms
    }
}

impl Deref for Core {
    type Target = dyn Scheduler;

    #[inline]
    fn deref(&self) -> &(dyn Scheduler + 'static) {
        &*self.0.scheduler
    }
}

/// Creates a task for `future` on `core`, registered and ready to be queued.
///
/// # Errors
///
/// [`Error::Shutdown`] once `core`'s registry is closed; `future` has been
/// dropped, never polled, when this returns.
pub(crate) fn spawn<F, S>(
    core: Core,
    future: F,
    options: SpawnOptions,
    instrument: Instrument,
    schedule: S,
) -> Result<(Runnable, JoinHandle<F::Output>), Error>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    let flags = (Kind::Future, instrument, false);
    spawn_with(core, options, flags, |builder| {
        raw::spawn(builder, future, schedule)
    })
}

/// [`spawn`] for a future that is not `Send`: the runnable must be run and
/// dropped on the calling thread (the process aborts otherwise).
pub(crate) fn spawn_local<F, S>(
    core: Core,
    future: F,
    options: SpawnOptions,
    instrument: Instrument,
    schedule: S,
) -> Result<(Runnable, JoinHandle<F::Output>), Error>
where
    F: Future + 'static,
    F::Output: 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    let flags = (Kind::Future, instrument, true);
    spawn_with(core, options, flags, |builder| {
        raw::spawn_local(builder, future, schedule)
    })
}

/// [`spawn`] for the protocol's type-erased future: the task's output is
/// the box itself, with the future's output inside.
pub(crate) fn spawn_erased<S>(
    core: Core,
    future: BoxErased,
    options: SpawnOptions,
    instrument: Instrument,
    schedule: S,
) -> Result<(Runnable, JoinHandle<BoxErased>), Error>
where
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    spawn(core, Erased::new(future), options, instrument, schedule)
}

/// Creates a task that runs `f` once, on whatever thread polls it: the
/// blocking pool's jobs.
pub(crate) fn spawn_blocking<F, R, S>(
    core: Core,
    f: F,
    options: SpawnOptions,
    schedule: S,
) -> Result<(Runnable, JoinHandle<R>), Error>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    // A blocking job's two clock reads are nothing next to its thread hop,
    // and "running for 3 min" is what a dump of a stuck job needs.
    let instrument = Instrument {
        check_lost: false,
        poll_timing: true,
    };
    let flags = (Kind::Blocking, instrument, false);
    spawn_with(core, options, flags, |builder| {
        raw::spawn(builder, future::RunOnce::new(f), schedule)
    })
}

/// Creates and registers a task; `(kind, instrument, local)` go into its
/// record, with the task being polled on this thread as its parent if it
/// belongs to the same executor.
///
/// Inlined into each spawn function: out of line, passing the record's
/// parts through a call cost a spawn 40 more instructions (callgrind,
/// `baton-bench run baton-epoll-local spawn_inside`).
#[inline]
fn spawn_with<T>(
    core: Core,
    options: SpawnOptions,
    (kind, instrument, local): (Kind, Instrument, bool),
    build: impl FnOnce(
        async_task::Builder<TaskInfo>,
    ) -> (Runnable, async_task::Task<future::Output<T>, TaskInfo>),
) -> Result<(Runnable, JoinHandle<T>), Error> {
    let tasks = core.tasks();
    if tasks.is_closed() {
        return Err(Error::Shutdown);
    }
    let id = tasks.next_id();
    let parent = crate::context::current_task(core.key());
    let info = TaskInfo::new(id, parent, options, core, (kind, instrument, local));
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

/// A scheduler and records for the unit tests of this module's parts.
#[cfg(all(test, not(loom)))]
mod testing {
    use std::sync::Arc;

    use baton_protocol::task::SpawnOptions;

    use super::{Core, Instrument, Kind, Runnable, Scheduler, TaskInfo, Tasks};

    /// A scheduler that only keeps a registry, and drops what it is given.
    pub(super) struct Registry(pub(super) Tasks);

    impl Registry {
        pub(super) fn new() -> Arc<Registry> {
            Arc::new(Registry(Tasks::new(1)))
        }
    }

    impl Scheduler for Registry {
        fn schedule_remote(&self, runnable: Runnable) {
            drop(runnable);
        }

        fn tasks(&self) -> &Tasks {
            &self.0
        }
    }

    /// A fresh record of a task on `core`, counted alive.
    pub(super) fn record(core: &Arc<Registry>) -> TaskInfo {
        let id = core.0.next_id();
        let instrument = Instrument {
            check_lost: false,
            poll_timing: false,
        };
        TaskInfo::new(
            id,
            None,
            SpawnOptions::here(),
            Core::new(core),
            (Kind::Future, instrument, false),
        )
    }
}
