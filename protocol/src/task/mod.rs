//! Spawning: how portable code starts a task, whatever executor runs it.
//!
//! Library code calls [`spawn`] (or [`Builder`] to name the task); the
//! executor entered on the thread runs it. Executors implement [`Spawn`] and
//! [`RawJoin`]; everything else here is written once on top of them.
//!
//! A typed spawn crosses the object-safe [`Spawn`] trait as one box, an
//! [`ErasedFuture`] that keeps its output inside itself; the executor gives
//! the box back when the task ends and the [`JoinHandle`] takes the typed
//! output out of it. So a portable spawn costs the box, the executor's task
//! and the executor's boxed [`RawJoin`]: no output slot, no lock.

pub mod blocking;
mod erased;
mod group;
mod join;

use std::fmt;
use std::future::Future;
use std::num::NonZeroU64;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub use blocking::{BlockingHandle, spawn_blocking};
pub use erased::{BoxErased, ErasedFuture};
pub use group::{GroupHandle, TaskGroup};
pub use join::{JoinHandle, RawJoin};

use crate::dump::Dump;
use crate::{Error, Handle};

/// Identifies a task within its executor. Ids are never zero and never
/// reused by one executor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    /// Builds an id from its number; `None` for zero. For executor authors.
    pub const fn new(id: u64) -> Option<TaskId> {
        match NonZeroU64::new(id) {
            Some(id) => Some(TaskId(id)),
            None => None,
        }
    }

    /// The id's number.
    pub const fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.0)
    }
}

/// What a spawner is told about a task besides its future: a name and where
/// it was spawned, for task dumps and lost-waker reports.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SpawnOptions {
    /// The task's name, if it was given one.
    pub name: Option<Arc<str>>,
    /// The source location of the `spawn` call.
    pub location: &'static Location<'static>,
}

impl SpawnOptions {
    /// Options for an unnamed task spawned at the caller's location.
    #[track_caller]
    pub fn here() -> Self {
        SpawnOptions {
            name: None,
            location: Location::caller(),
        }
    }

    /// The same options with a name.
    pub fn with_name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = Some(name.into());
        self
    }
}

/// A type-erased future with no output, as [`Spawn::spawn_boxed`] takes it.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// How portable code starts a task; implemented by every executor. Object
/// safe: a [`Handle`] holds an `Arc<dyn Spawn>`.
pub trait Spawn: Send + Sync {
    /// Starts `future` as a new task; its join handle gives the same box
    /// back, with the output inside, when the task ends.
    ///
    /// This is the one spawning method an executor implements: [`spawn`],
    /// [`Builder`] and [`spawn_boxed`](Spawn::spawn_boxed) all come here.
    ///
    /// # Implementation notes
    ///
    /// The task polls the future with [`ErasedFuture::poll_erased`] until it
    /// returns `Ready`; its output is then the box itself, returned by the
    /// handle's [`RawJoin::poll_join`] as `Ok(future)`. The returned handle
    /// follows [`JoinHandle`]'s semantics (dropping it detaches; abort,
    /// panics and shutdown as documented there); the future is dropped
    /// exactly once, by the executor, whether it completes (its own
    /// `poll_erased` drops the inner future; the box with the output is
    /// dropped by the joiner, or by the executor if the handle was dropped),
    /// is cancelled, or the runtime shuts down.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] once the executor has shut down; the future is
    /// dropped before this returns.
    fn spawn_erased(
        &self,
        future: BoxErased,
        options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error>;

    /// Starts a boxed future with no output as a new task.
    ///
    /// Provided: it goes through [`spawn_erased`](Spawn::spawn_erased).
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] once the executor has shut down; the future is
    /// dropped before this returns.
    fn spawn_boxed(
        &self,
        future: BoxFuture,
        options: SpawnOptions,
    ) -> Result<JoinHandle<()>, Error> {
        self.spawn_erased(Box::pin(erased::Erase::new(future)), options)
            .map(JoinHandle::from_erased)
    }

    /// Tasks spawned and not yet dropped (running, queued or finished with a
    /// live output). Conformance teardown checks read it.
    fn alive_tasks(&self) -> usize;

    /// The executor's blocking pool, which [`spawn_blocking`] (and the
    /// [`fs`](crate::fs) functions, [`Unblock`](crate::unblock::Unblock),
    /// name lookups) run on; `None` (the default) to use the protocol's
    /// [`DefaultPool::global`](blocking::DefaultPool::global).
    ///
    /// # Implementation notes
    ///
    /// Provide one when the executor has threads to lend, limits to
    /// enforce, or jobs to show in its dumps and metrics; see
    /// [`BlockingPool`](blocking::BlockingPool) for what it must do.
    fn blocking_pool(&self) -> Option<&dyn blocking::BlockingPool> {
        None
    }

    /// A snapshot of every live task: what [`Handle::dump`] returns.
    ///
    /// Provided: an executor that keeps no task records leaves it, and
    /// answers [`Error::Unsupported`].
    ///
    /// # Implementation notes
    ///
    /// Callable from any thread, including from inside one of the
    /// executor's own tasks (which then appears as running), while other
    /// threads run tasks, and during and after shutdown (the dump then
    /// says so, and lists the tasks not yet dropped). It must not stop the
    /// executor longer than one pass over its task list, and must neither
    /// block on a running poll nor panic.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the executor cannot list its tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use baton_protocol::dump::Dump;
    /// use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions};
    /// use baton_protocol::{Error, Spawn};
    ///
    /// /// An executor that keeps no task records: dumps are refused.
    /// struct Plain;
    ///
    /// impl Spawn for Plain {
    ///     fn spawn_erased(&self, _: BoxErased, _: SpawnOptions)
    ///         -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
    ///         Err(Error::Shutdown)
    ///     }
    ///     fn alive_tasks(&self) -> usize {
    ///         0
    ///     }
    /// }
    ///
    /// assert!(matches!(Plain.dump(), Err(Error::Unsupported(_))));
    /// # let _ = Dump::new(Instant::now());
    /// ```
    fn dump(&self) -> Result<Dump, Error> {
        Err(Error::Unsupported(
            "this executor keeps no task records to dump",
        ))
    }
}

/// A snapshot of every live task of the runtime entered on this thread,
/// with what each one waits on; see [`Handle::dump`]. Callable from any of
/// its tasks, and from a thread that entered it.
///
/// # Errors
///
/// [`Error::NoRuntime`] outside a runtime; [`Error::Unsupported`] when its
/// executor cannot list its tasks.
///
/// # Examples
///
/// ```
/// # async fn demo() -> Result<(), baton_protocol::Error> {
/// let dump = baton_protocol::task::dump()?;
/// eprint!("{dump}");
/// # Ok(()) }
/// ```
pub fn dump() -> Result<Dump, Error> {
    Handle::current()?.dump()
}

/// Spawns `future` on the runtime entered on this thread.
///
/// # Errors
///
/// [`Error::NoRuntime`] outside a runtime, [`Error::Shutdown`] after the
/// runtime shut down; in both cases `future` is dropped.
///
/// # Examples
///
/// ```
/// # async fn demo() -> Result<(), baton_protocol::Error> {
/// let answer = baton_protocol::spawn(async { 6 * 7 })?.await?;
/// assert_eq!(answer, 42);
/// # Ok(()) }
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> Result<JoinHandle<F::Output>, Error>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Builder::new().spawn(future)
}

/// Spawns a task with options: a name shown in task dumps.
#[derive(Debug)]
#[must_use = "a Builder does nothing until .spawn()"]
pub struct Builder {
    options: SpawnOptions,
}

impl Builder {
    /// A builder for an unnamed task spawned at the caller's location.
    #[track_caller]
    #[allow(
        clippy::new_without_default,
        reason = "Default cannot be #[track_caller]"
    )]
    pub fn new() -> Self {
        Builder {
            options: SpawnOptions::here(),
        }
    }

    /// Names the task.
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.options = self.options.with_name(name);
        self
    }

    /// Spawns on the runtime entered on this thread; see [`spawn`].
    pub fn spawn<F>(self, future: F) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_on(&Handle::current()?, future)
    }

    /// Spawns on the runtime behind `handle`.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after that runtime shut down.
    pub fn spawn_on<F>(self, handle: &Handle, future: F) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let raw = handle
            .spawner()
            .spawn_erased(Box::pin(erased::Erase::new(future)), self.options)?;
        Ok(JoinHandle::from_erased(raw))
    }
}

/// Yields once to the executor: the task is woken at once and runs again
/// after the work already queued.
///
/// # Examples
///
/// ```
/// # async fn demo() {
/// baton_protocol::task::yield_now().await;
/// # }
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
