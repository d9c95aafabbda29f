//! What the current thread is doing for which executor: the thread-local
//! facts behind the `block_on` re-entry check and the join-waker fast path.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::task::{RawWakerVTable, Waker};
use std::thread::{self, ThreadId};

use baton_protocol::Error;
use baton_protocol::task::TaskId;

thread_local! {
    /// The id of the runtime this thread is a worker of; 0 on other threads.
    static WORKER_OF: Cell<u64> = const { Cell::new(0) };
    /// The ids of the executors whose `block_on` is running on this thread,
    /// innermost last.
    static ROOTS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// The waker handed to the task future being polled on this thread, as
    /// `(data, vtable)` addresses; `(0, 0)` outside every task poll.
    static TASK_WAKER: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// The task being polled on this thread, as `(executor key, task id)`;
    /// `(0, 0)` outside every task poll. What a spawn records as the new
    /// task's parent.
    static TASK: Cell<(usize, u64)> = const { Cell::new((0, 0)) };
}

/// The message of the `block_on` re-entry error.
pub(crate) const REENTRY: &str = "block_on called from inside a task or block_on of this executor";

/// The message of the nested `block_on` error: another executor's
/// `block_on` on a worker thread of a multi-thread runtime.
pub(crate) const NESTED: &str = "block_on called on a worker thread of another runtime \
     (it would block that worker; spawn the future there, or call block_on from spawn_blocking)";

/// Marks the current thread as a worker of executor `id` for its lifetime.
pub(crate) fn set_worker_of(id: u64) {
    let _ = WORKER_OF.try_with(|w| w.set(id));
}

/// Whether the current thread runs tasks of executor `id`: it is one of its
/// workers, or inside one of its `block_on` calls.
pub(crate) fn is_inside(id: u64) -> bool {
    WORKER_OF.try_with(Cell::get).ok() == Some(id)
        || ROOTS
            .try_with(|r| r.borrow().contains(&id))
            .unwrap_or(false)
}

/// Records that `block_on` of executor `id` runs on this thread until the
/// guard is dropped.
///
/// # Errors
///
/// - [`Error::InvalidState`] with [`REENTRY`] if the thread already runs
///   tasks of that executor: waiting there for the executor to make progress
///   could never end, so the call is refused instead of deadlocking;
/// - [`Error::InvalidState`] with [`NESTED`] if the thread is a worker of
///   another multi-thread runtime: waiting there would silently take a
///   worker from that runtime for as long as the future runs (tokio panics
///   here; baton says so with a value).
pub(crate) fn enter_root(id: u64) -> Result<RootGuard, Error> {
    if is_inside(id) {
        return Err(Error::InvalidState(REENTRY));
    }
    if WORKER_OF.try_with(Cell::get).is_ok_and(|of| of != 0) {
        return Err(Error::InvalidState(NESTED));
    }
    let _ = ROOTS.try_with(|r| r.borrow_mut().push(id));
    Ok(RootGuard {
        id,
        _not_send: PhantomData,
    })
}

/// Ends a `block_on` on drop (also when its root future panicked).
pub(crate) struct RootGuard {
    id: u64,
    _not_send: PhantomData<*const ()>,
}

impl Drop for RootGuard {
    fn drop(&mut self) {
        let _ = ROOTS.try_with(|r| {
            let mut roots = r.borrow_mut();
            if let Some(at) = roots.iter().rposition(|&id| id == self.id) {
                roots.remove(at);
            }
        });
    }
}

fn waker_key(waker: &Waker) -> (usize, usize) {
    (
        waker.data() as usize,
        waker.vtable() as *const RawWakerVTable as usize,
    )
}

/// Runs `f` (one poll of a task future or a `block_on` root) with `waker`
/// recorded as the waker of the current task.
///
/// A [`JoinHandle`](crate::JoinHandle) polled with exactly this waker hands
/// it to async-task as is: it is an executor's own waker, which never
/// panics. Any other waker is wrapped so that a panic in its `wake` cannot
/// reach async-task, which would abort the process.
#[inline]
pub(crate) fn with_task_waker<R>(waker: &Waker, f: impl FnOnce() -> R) -> R {
    struct Restore((usize, usize));
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = TASK_WAKER.try_with(|w| w.set(self.0));
        }
    }
    let previous = TASK_WAKER
        .try_with(|w| w.replace(waker_key(waker)))
        .unwrap_or((0, 0));
    let _restore = Restore(previous);
    f()
}

/// Makes task `id` of the executor whose [`Core::key`] is `executor` the
/// current task of this thread until the guard is dropped.
///
/// [`Core::key`]: crate::task::Core::key
#[inline]
pub(crate) fn enter_task(executor: usize, id: TaskId) -> TaskGuard {
    let previous = TASK
        .try_with(|t| t.replace((executor, id.get())))
        .unwrap_or((0, 0));
    TaskGuard(previous)
}

/// Restores the previous current task; from [`enter_task`].
pub(crate) struct TaskGuard((usize, u64));

impl Drop for TaskGuard {
    #[inline]
    fn drop(&mut self) {
        let _ = TASK.try_with(|t| t.set(self.0));
    }
}

/// The task of executor `executor` being polled on this thread, if any.
pub(crate) fn current_task(executor: usize) -> Option<TaskId> {
    match TASK.try_with(Cell::get) {
        Ok((key, id)) if key == executor => TaskId::new(id),
        _ => None,
    }
}

/// Whether `waker` is the one [`with_task_waker`] recorded for the poll that
/// is running on this thread.
#[inline]
pub(crate) fn is_task_waker(waker: &Waker) -> bool {
    TASK_WAKER
        .try_with(|w| w.get() == waker_key(waker))
        .unwrap_or(false)
}

/// The id of the current thread, without cloning its `Thread` handle.
#[inline]
pub(crate) fn current_thread() -> ThreadId {
    thread_local! {
        static ID: ThreadId = thread::current().id();
    }
    ID.try_with(|id| *id)
        .unwrap_or_else(|_| thread::current().id())
}

/// A fresh executor id for the re-entry check; never 0, never reused.
pub(crate) fn next_executor_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Whether the current thread is one of executor `id`'s workers.
pub(crate) fn is_worker_of(id: u64) -> bool {
    WORKER_OF.try_with(Cell::get).ok() == Some(id)
}
