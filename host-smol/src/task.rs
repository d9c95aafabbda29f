//! Protocol tasks as smol tasks: the [`Spawn`] of the host and its
//! [`RawJoin`].
//!
//! smol's `Task` cancels its task when dropped; the protocol's
//! `JoinHandle` detaches (Decision 2). So the join handle here detaches
//! smol's task when dropped, and cancels through a flag of its own
//! ([`AbortCell`]) that the task checks before each poll: an aborted task
//! is never polled again (never at all, if aborted before its first poll:
//! Decision 3), its future is dropped by the task itself, and the joiner
//! learns `Cancelled` only after that drop. Panics are caught in the task,
//! so a panic reaches the joiner as [`Error::Panicked`] and never the
//! executor's threads.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, Waker};

use async_executor::{Executor, FallibleTask};
use baton_protocol::dump::Dump;
use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions, TaskId};
use baton_protocol::{Error, Handle, Spawn};

use baton_protocol::task::blocking::BlockingPool;
use baton_reactor_kit::{HostState, LiveTask};

use crate::blocking::SmolPool;

/// What a task yields to its joiner.
type Output = Result<(BoxErased, LiveTask), Error>;

/// Spawns protocol tasks on a smol executor.
///
/// Holds the executor weakly: the application owns it, and dropping it
/// (which drops every task) is smol's shutdown.
pub(crate) struct Spawner {
    pub(crate) executor: Weak<Executor<'static>>,
    pub(crate) state: Arc<HostState>,
    /// Where the protocol's blocking work runs.
    pub(crate) blocking: SmolPool,
}

impl Spawn for Spawner {
    fn spawn_erased(
        &self,
        future: BoxErased,
        options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        let (Some(handle), Some(executor)) = (self.state.handle(), self.executor.upgrade()) else {
            drop(future);
            return Err(Error::Shutdown);
        };
        let abort = Arc::new(AbortCell::default());
        let id = self.state.next_id();
        let task = Task {
            future: Some(future),
            alive: Some(self.state.spawned(id, &options)),
            handle,
            abort: Arc::clone(&abort),
        };
        let task = executor.spawn(task).fallible();
        Ok(Box::new(Join {
            task: Some(task),
            abort,
            id,
            done: false,
        }))
    }

    fn alive_tasks(&self) -> usize {
        self.state.alive_tasks()
    }

    fn blocking_pool(&self) -> Option<&dyn BlockingPool> {
        Some(&self.blocking)
    }

    fn dump(&self) -> Result<Dump, Error> {
        Ok(self.state.dump())
    }
}

/// A cancellation request, and the waker of the task it is for.
///
/// # Invariant
///
/// The task stores its waker *before* it reads `aborted`, and `abort` sets
/// `aborted` before it takes the waker: either the task sees the flag, or
/// `abort` sees the waker and wakes it.
#[derive(Default)]
struct AbortCell {
    aborted: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl AbortCell {
    fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Keeps `waker` for `abort`; true if the task was aborted.
    fn check(&self, waker: &Waker) -> bool {
        {
            let mut kept = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
            if !kept.as_ref().is_some_and(|k| k.will_wake(waker)) {
                *kept = Some(waker.clone());
            }
        }
        self.aborted.load(Ordering::SeqCst)
    }
}

/// A protocol task's future inside smol: polls the erased future with the
/// host's runtime entered, unless aborted.
struct Task {
    future: Option<BoxErased>,
    alive: Option<LiveTask>,
    handle: Handle,
    abort: Arc<AbortCell>,
}

impl Task {
    /// Drops the future (catching a panic of its destructor) and ends the
    /// task with `outcome`.
    fn finish(&mut self, outcome: Error) -> Poll<Output> {
        let future = self.future.take();
        let dropped = panic::catch_unwind(AssertUnwindSafe(|| drop(future)));
        self.alive = None;
        Poll::Ready(Err(match dropped {
            Ok(()) => outcome,
            Err(payload) => Error::from_panic(&*payload),
        }))
    }
}

impl Future for Task {
    type Output = Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let this = &mut *self;
        if this.abort.check(cx.waker()) {
            return this.finish(Error::Cancelled(None));
        }
        let (Some(future), Some(alive)) = (this.future.as_mut(), this.alive.as_ref()) else {
            return Poll::Ready(Err(Error::InvalidState(
                "the task was polled after it ended",
            )));
        };
        let Some(gate) = alive.host().poll_gate() else {
            return this.finish(Error::Cancelled(None));
        };
        let polled = {
            let _entered = this.handle.enter();
            alive.poll(|| {
                match panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll_erased(cx))) {
                    Ok(poll) => poll.map(Ok),
                    Err(payload) => Poll::Ready(Err(payload)),
                }
            })
        };
        drop(gate);
        match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => match (this.future.take(), this.alive.take()) {
                (Some(future), Some(mut alive)) => {
                    alive.finished();
                    Poll::Ready(Ok((future, alive)))
                }
                _ => Poll::Ready(Err(Error::InvalidState(
                    "the task was polled after it ended",
                ))),
            },
            Poll::Ready(Err(payload)) => this.finish(Error::from_panic(&*payload)),
        }
    }
}

/// The protocol's join handle over smol's task.
struct Join {
    task: Option<FallibleTask<Output>>,
    abort: Arc<AbortCell>,
    id: TaskId,
    done: bool,
}

impl RawJoin<BoxErased> for Join {
    fn id(&self) -> TaskId {
        self.id
    }

    fn is_finished(&self) -> bool {
        self.done || self.task.as_ref().is_none_or(FallibleTask::is_finished)
    }

    fn abort(&mut self) {
        self.abort.abort();
    }

    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<BoxErased, Error>> {
        let Some(task) = self.task.as_mut().filter(|_| !self.done) else {
            return Poll::Ready(Err(Error::InvalidState("the task was already joined")));
        };
        let joined = match Pin::new(task).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(joined) => joined,
        };
        self.done = true;
        Poll::Ready(match joined {
            Some(Ok((future, _alive))) => Ok(future),
            Some(Err(e)) => Err(e),
            // The executor was dropped (smol's shutdown) with the task.
            None => Err(Error::Cancelled(None)),
        })
    }
}

impl Drop for Join {
    fn drop(&mut self) {
        // Decision 2: dropping the handle detaches the task.
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}
