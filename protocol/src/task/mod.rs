//! Spawning: how portable code starts a task, whatever executor runs it.
//!
//! Library code calls [`spawn`] (or [`Builder`] to name the task); the
//! executor entered on the thread runs it. Executors implement [`Spawn`] and
//! [`RawJoin`]; everything else here is written once on top of them.

mod group;
mod join;

use std::fmt;
use std::future::Future;
use std::num::NonZeroU64;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

pub use group::{GroupHandle, TaskGroup};
pub use join::{JoinHandle, RawJoin};

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

/// A type-erased future, as [`Spawn::spawn_boxed`] takes it.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// How portable code starts a task; implemented by every executor. Object
/// safe: a [`Handle`] holds an `Arc<dyn Spawn>`.
pub trait Spawn: Send + Sync {
    /// Starts `future` as a new task.
    ///
    /// # Implementation notes
    ///
    /// The returned handle follows [`JoinHandle`]'s semantics; the future is
    /// dropped exactly once, by the executor, whether it completes, is
    /// cancelled, or the runtime shuts down.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] once the executor has shut down; the future is
    /// dropped before this returns.
    fn spawn_boxed(
        &self,
        future: BoxFuture,
        options: SpawnOptions,
    ) -> Result<JoinHandle<()>, Error>;

    /// Tasks spawned and not yet dropped (running, queued or finished with a
    /// live output). Conformance teardown checks read it.
    fn alive_tasks(&self) -> usize;
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
        let slot = Arc::new(Mutex::new(None));
        let filler = Arc::clone(&slot);
        let erased = handle.spawner().spawn_boxed(
            Box::pin(async move {
                let output = future.await;
                *filler.lock().unwrap_or_else(PoisonError::into_inner) = Some(output);
            }),
            self.options,
        )?;
        Ok(JoinHandle::from_raw(Box::new(Typed { erased, slot })))
    }
}

/// Joins a type-erased task and takes its output from the slot its future
/// filled: the portable path from [`Spawn::spawn_boxed`] to a typed handle.
struct Typed<T> {
    erased: JoinHandle<()>,
    slot: Arc<Mutex<Option<T>>>,
}

impl<T: Send> RawJoin<T> for Typed<T> {
    fn id(&self) -> TaskId {
        self.erased.id()
    }

    fn is_finished(&self) -> bool {
        self.erased.is_finished()
    }

    fn abort(&mut self) {
        self.erased.abort();
    }

    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        match Pin::new(&mut self.erased).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => Poll::Ready(
                self.slot
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
                    .ok_or(Error::InvalidState("the task's output was already taken")),
            ),
        }
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
