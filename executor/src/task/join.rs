//! `JoinHandle`: this crate's native handle, with exactly the semantics of
//! [`baton_protocol::JoinHandle`].

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use baton_protocol::Error;
use baton_protocol::task::{RawJoin, TaskId};
use baton_protocol::wait::{self, WaitFor};

use super::TaskInfo;
use super::future::{Output, contain};
use super::raw::TaskHandle;
use crate::context;

/// A handle to a task of this crate's executors; awaiting it gives the
/// task's output.
///
/// The semantics are those of [`baton_protocol::JoinHandle`], which this
/// converts into (`.into()`, or through [`Spawn`](baton_protocol::Spawn)):
///
/// - **Dropping the handle detaches the task** (design Decision 2): it runs
///   to completion unobserved. [`detach`](JoinHandle::detach) says so.
/// - [`abort`](JoinHandle::abort) requests cancellation: the future is never
///   polled again and is dropped exactly once, by the executor; awaiting the
///   handle then gives `Err(Error::Cancelled(None))`, or the output if the
///   task finished first. A task aborted before its first poll is never
///   polled (Decision 3).
/// - [`cancel`](JoinHandle::cancel) aborts and waits: `Some(output)` if the
///   task finished first, `None` otherwise; the task's locals have been
///   dropped when it returns.
/// - A panic in the task, or in its future's destructor when it is
///   cancelled, gives `Err(Error::Panicked(text))`; the executor and the
///   other tasks carry on.
/// - A task cancelled by shutdown gives `Err(Error::Cancelled(None))`.
/// - Awaiting the handle again after it returned gives
///   `Err(Error::InvalidState(_))`.
///
/// The handle is `Send` when the output is, whatever the future is: a
/// [`LocalExecutor`](crate::LocalExecutor) task's handle can be awaited on
/// another thread.
#[must_use = "dropping a JoinHandle detaches the task; call .detach() to say so"]
pub struct JoinHandle<T> {
    state: State<T>,
}

enum State<T> {
    /// The output (or error) has not been returned yet.
    Joining {
        task: TaskHandle<T>,
        /// The last foreign waker seen and the wrapper handed to async-task
        /// in its place, reused while the caller's waker stays the same;
        /// boxed, as most handles are awaited by a task of this crate and
        /// never need it.
        guard: Option<Box<(Waker, Waker)>>,
    },
    /// Returned: the task, whose record held these, has been released.
    /// The name is boxed (once, for a named task) so that the handle stays
    /// 24 bytes, which the protocol's handle boxes.
    Joined {
        id: TaskId,
        name: Option<Box<Arc<str>>>,
    },
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: async_task::Task<Output<T>, TaskInfo>) -> JoinHandle<T> {
        JoinHandle {
            state: State::Joining {
                task: TaskHandle::new(task),
                guard: None,
            },
        }
    }

    /// The task's id, unique within its executor.
    pub fn id(&self) -> TaskId {
        match &self.state {
            State::Joining { task, .. } => task.info().id,
            State::Joined { id, .. } => *id,
        }
    }

    /// The task's name, if it was spawned with one.
    pub fn name(&self) -> Option<&str> {
        match &self.state {
            State::Joining { task, .. } => task.info().name().map(|name| &**name),
            State::Joined { name, .. } => name.as_deref().map(|name| &**name),
        }
    }

    /// Whether the task has finished: returned, panicked, or been cancelled
    /// and dropped.
    pub fn is_finished(&self) -> bool {
        match &self.state {
            State::Joining { task, .. } => task.is_finished(),
            State::Joined { .. } => true,
        }
    }

    /// Requests cancellation; see the type's documentation. A no-op on a
    /// finished task and when called twice.
    pub fn abort(&mut self) {
        if let State::Joining { task, .. } = &self.state {
            task.info().cancel();
        }
    }

    /// Lets the task run on unobserved (what dropping the handle also does).
    pub fn detach(self) {
        drop(self);
    }

    /// Cancels the task and waits until its future is dropped.
    ///
    /// Returns the output if the task finished before the cancellation took
    /// effect, `None` otherwise (cancelled, or panicked).
    pub async fn cancel(mut self) -> Option<T> {
        self.abort();
        (&mut self).await.ok()
    }

    /// The waker to hand async-task for `waker`: `waker` itself if it is the
    /// polling task's own, else a wrapper that contains a panic in `wake`
    /// (async-task wakes the awaiter under an abort-on-panic guard).
    fn awaiter(guard: &mut Option<Box<(Waker, Waker)>>, waker: &Waker) -> Option<Waker> {
        if context::is_task_waker(waker) {
            return None;
        }
        match guard.as_deref() {
            Some((outer, inner)) if outer.will_wake(waker) => Some(inner.clone()),
            _ => {
                let inner = Waker::from(Arc::new(Contained(waker.clone())));
                *guard = Some(Box::new((waker.clone(), inner.clone())));
                Some(inner)
            }
        }
    }
}

/// A waker whose `wake` cannot unwind.
struct Contained(Waker);

impl Wake for Contained {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        contain(|| self.0.wake_by_ref());
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let State::Joining { task, guard } = &mut this.state else {
            return Poll::Ready(Err(Error::InvalidState(
                "the JoinHandle was polled after it returned",
            )));
        };
        let poll = match Self::awaiter(guard, cx.waker()) {
            None => task.poll(cx),
            Some(waker) => task.poll(&mut Context::from_waker(&waker)),
        };
        let output = match poll {
            Poll::Pending => {
                wait::report(WaitFor::Task(task.info().id));
                return Poll::Pending;
            }
            Poll::Ready(output) => output,
        };
        let info = task.info();
        let joined = State::Joined {
            id: info.id,
            name: info.name().cloned().map(Box::new),
        };
        // Releases the task: its allocation is freed once its runnable and
        // wakers are gone too.
        drop(mem::replace(&mut this.state, joined));
        Poll::Ready(match output {
            Some(mut output) => output.take(),
            // Closed without an output: its runnable was dropped, which only
            // shutdown does.
            None => Err(Error::Cancelled(None)),
        })
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let State::Joining { .. } = self.state {
            let joined = State::Joined {
                id: self.id(),
                name: None,
            };
            if let State::Joining { task, .. } = mem::replace(&mut self.state, joined) {
                task.detach();
            }
        }
    }
}

impl<T: Send> RawJoin<T> for JoinHandle<T> {
    fn id(&self) -> TaskId {
        JoinHandle::id(self)
    }

    fn is_finished(&self) -> bool {
        JoinHandle::is_finished(self)
    }

    fn abort(&mut self) {
        JoinHandle::abort(self);
    }

    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        Pin::new(self).poll(cx)
    }
}

impl<T: Send + 'static> From<JoinHandle<T>> for baton_protocol::JoinHandle<T> {
    fn from(handle: JoinHandle<T>) -> Self {
        baton_protocol::JoinHandle::from_raw(Box::new(handle))
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("finished", &self.is_finished())
            .finish()
    }
}
