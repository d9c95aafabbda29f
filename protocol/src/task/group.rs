//! `TaskGroup`: structured spawning, as asyncio's `TaskGroup`, curio's
//! `TaskGroup` and trio's nursery.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::{Builder, JoinHandle, TaskId};
use crate::Error;
use crate::wait::{self, WaitFor};

/// A group of child tasks that live no longer than the group (Decision 11).
///
/// - [`join`](TaskGroup::join) waits for every child, including children
///   spawned while it waits, then closes the group.
/// - The first child to fail (return `Err`, or panic) cancels every other
///   child, and its error is what `join` returns.
/// - Spawning into a closed group (joined, failed or dropped) is
///   `Err(Error::InvalidState(_))` and the rejected future is dropped.
/// - Dropping every clone of the group without joining cancels the children
///   that are still running.
///
/// Clones share one group, so children can spawn siblings.
///
/// # Examples
///
/// ```
/// use baton_protocol::{Error, TaskGroup};
///
/// # async fn demo() -> Result<(), Error> {
/// let group = TaskGroup::new();
/// let a = group.spawn(async { Ok(1) })?;
/// let b = group.spawn(async { Ok(2) })?;
/// group.join().await?;
/// assert_eq!(a.await? + b.await?, 3);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TaskGroup {
    owner: Arc<Owner>,
}

/// Held only by the user's clones: when the last one goes, unjoined children
/// are cancelled. Children hold the [`Shared`] state, never this.
#[derive(Debug)]
struct Owner {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    closed: bool,
    /// The first failure: what `join` returns.
    error: Option<Error>,
    /// Children that have not finished yet, with their cancel signals.
    children: Vec<(u64, Arc<Cancel>)>,
    next_child: u64,
    joiner: Option<Waker>,
}

/// Tells one child to stop; the child's wrapper drops its future when it
/// next runs.
#[derive(Debug, Default)]
struct Cancel {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Cancel {
    fn fire(&self) {
        let waker = {
            let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn poll_fired(&self, cx: &mut Context<'_>) -> bool {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !s.0 {
            match &s.1 {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => s.1 = Some(cx.waker().clone()),
            }
        }
        s.0
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the first failure and cancels every other child.
    fn fail(&self, child: u64, error: Error) {
        let cancels: Vec<Arc<Cancel>> = {
            let mut s = self.lock();
            if s.error.is_some() {
                return;
            }
            s.error = Some(error);
            s.closed = true;
            s.children
                .iter()
                .filter(|(id, _)| *id != child)
                .map(|(_, c)| Arc::clone(c))
                .collect()
        };
        cancels.iter().for_each(|c| c.fire());
    }

    fn cancel_all(&self) {
        let cancels: Vec<Arc<Cancel>> = {
            let mut s = self.lock();
            s.closed = true;
            s.children.iter().map(|(_, c)| Arc::clone(c)).collect()
        };
        cancels.iter().for_each(|c| c.fire());
    }

    fn finished(&self, child: u64) {
        let joiner = {
            let mut s = self.lock();
            s.children.retain(|(id, _)| *id != child);
            if s.children.is_empty() {
                s.joiner.take()
            } else {
                None
            }
        };
        if let Some(w) = joiner {
            w.wake();
        }
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.cancel_all();
    }
}

impl Default for TaskGroup {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl TaskGroup {
    /// An open group with no children.
    pub fn new() -> Self {
        TaskGroup {
            owner: Arc::new(Owner {
                shared: Arc::default(),
            }),
        }
    }

    /// Spawns a child on the runtime entered on this thread.
    ///
    /// The child's `Err` (or panic) fails the group: the other children are
    /// cancelled and [`join`](TaskGroup::join) returns that error. The
    /// returned handle gives the child's own result, or
    /// `Err(Error::Cancelled(None))` if the group cancelled it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] if the group is closed; [`Error::NoRuntime`]
    /// outside a runtime; [`Error::Shutdown`] after it shut down. The future
    /// is dropped in every case.
    #[track_caller]
    pub fn spawn<F, T>(&self, future: F) -> Result<GroupHandle<T>, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_with(Builder::new(), future)
    }

    /// [`spawn`](TaskGroup::spawn) with a named task.
    #[track_caller]
    pub fn spawn_named<F, T>(
        &self,
        name: impl Into<Arc<str>>,
        future: F,
    ) -> Result<GroupHandle<T>, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_with(Builder::new().name(name), future)
    }

    fn spawn_with<F, T>(&self, builder: Builder, future: F) -> Result<GroupHandle<T>, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        let shared = &self.owner.shared;
        let cancel = Arc::new(Cancel::default());
        let child = {
            let mut s = shared.lock();
            if s.closed {
                return Err(Error::InvalidState("the task group is closed"));
            }
            s.next_child += 1;
            let child = s.next_child;
            s.children.push((child, Arc::clone(&cancel)));
            child
        };
        let guard = ChildGuard {
            shared: Arc::clone(shared),
            child,
        };
        let task = Child {
            future: Some(future),
            cancel,
            guard,
        };
        match builder.spawn(task) {
            Ok(inner) => Ok(GroupHandle { inner }),
            // The task was never created: its guard has already run and
            // removed the child.
            Err(e) => Err(e),
        }
    }

    /// Waits for every child (including those spawned meanwhile), closes the
    /// group, and returns the first child's error, if any.
    pub fn join(&self) -> Join<'_> {
        Join { group: self }
    }

    /// Cancels every child still running and closes the group; `join` then
    /// waits for them to be dropped and returns `Err(Error::Cancelled(None))`
    /// unless a child had failed first.
    pub fn cancel(&self) {
        let shared = &self.owner.shared;
        {
            let mut s = shared.lock();
            if s.error.is_none() {
                s.error = Some(Error::Cancelled(None));
            }
        }
        shared.cancel_all();
    }

    /// Whether the group refuses new children.
    pub fn is_closed(&self) -> bool {
        self.owner.shared.lock().closed
    }

    /// Children that have not finished yet.
    pub fn len(&self) -> usize {
        self.owner.shared.lock().children.len()
    }

    /// Whether every child has finished.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The future of [`TaskGroup::join`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a> {
    group: &'a TaskGroup,
}

impl Future for Join<'_> {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.group.owner.shared.lock();
        if s.children.is_empty() {
            s.closed = true;
            s.joiner = None;
            return Poll::Ready(match &s.error {
                Some(e) => Err(e.clone()),
                None => Ok(()),
            });
        }
        s.joiner = Some(cx.waker().clone());
        drop(s);
        wait::report(WaitFor::Label("task group children"));
        Poll::Pending
    }
}

/// Removes the child from its group when the child's task is dropped, however
/// it ends (returned, cancelled, panicked, or never started).
struct ChildGuard {
    shared: Arc<Shared>,
    child: u64,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.shared.finished(self.child);
    }
}

pin_project_lite::pin_project! {
    /// A child's task: runs the future unless the group cancels it, and
    /// reports its failure (an `Err` or a panic) to the group.
    struct Child<F> {
        #[pin]
        future: Option<F>,
        cancel: Arc<Cancel>,
        guard: ChildGuard,
    }
}

impl<F, T> Future for Child<F>
where
    F: Future<Output = Result<T, Error>>,
{
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.cancel.poll_fired(cx) {
            // Dropping the future here, inside the task, runs the child's
            // destructors before its handle or the group's join resolve.
            this.future.set(None);
            return Poll::Ready(Err(Error::Cancelled(None)));
        }
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(Err(Error::InvalidState("child polled after completion")));
        };
        // A panicking child fails the group like an error does; the panic is
        // caught here so the group learns its text.
        let output = match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => output,
            Err(payload) => Err(Error::from_panic(&*payload)),
        };
        this.future.set(None);
        if let Err(e) = &output {
            this.guard.shared.fail(this.guard.child, e.clone());
        }
        Poll::Ready(output)
    }
}

/// The handle of a [`TaskGroup`] child: awaiting it gives the child's result,
/// or `Err(Error::Cancelled(None))` if the group cancelled it.
///
/// Dropping it detaches, as for [`JoinHandle`]; the group still waits for
/// the child.
#[derive(Debug)]
pub struct GroupHandle<T> {
    inner: JoinHandle<Result<T, Error>>,
}

impl<T> GroupHandle<T> {
    /// The child's task id.
    pub fn id(&self) -> TaskId {
        self.inner.id()
    }

    /// Whether the child has finished.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<T> Future for GroupHandle<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.inner)
            .poll(cx)
            .map(|r| r.and_then(|r| r))
    }
}
