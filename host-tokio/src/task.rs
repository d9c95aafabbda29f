//! Protocol tasks as tokio tasks: the [`Spawn`] of the host and its
//! [`RawJoin`].
//!
//! tokio's own semantics already are the protocol's (Decision 2: dropping a
//! `JoinHandle` detaches; `abort` before the first poll means the future is
//! never polled; a panic is caught and reported to the joiner); the glue adds
//! the protocol's runtime entered around each poll, the count of live tasks,
//! and [`Error::Shutdown`] for a spawn after the host stopped.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use baton_protocol::dump::Dump;
use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions, TaskId};
use baton_protocol::{Error, Handle, Spawn};

use baton_protocol::task::blocking::BlockingPool;
use baton_reactor_kit::{HostState, LiveTask};

use crate::blocking::TokioPool;

/// Spawns protocol tasks on a tokio runtime.
pub(crate) struct Spawner {
    pub(crate) rt: tokio::runtime::Handle,
    pub(crate) state: Arc<HostState>,
    /// Where the protocol's blocking work runs.
    pub(crate) blocking: TokioPool,
}

impl Spawn for Spawner {
    fn spawn_erased(
        &self,
        future: BoxErased,
        options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        let Some(handle) = self.state.handle() else {
            drop(future);
            return Err(Error::Shutdown);
        };
        let id = self.state.next_id();
        let task = Task {
            future: Some(future),
            alive: Some(self.state.spawned(id, &options)),
            handle,
        };
        let join = self.rt.spawn(task);
        Ok(Box::new(Join {
            join,
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

/// A protocol task's future inside tokio: polls the erased future with the
/// host's runtime entered; its output carries the live-task count along
/// until the joiner (or tokio, for a detached task) drops it. `None` once
/// the host stopped: the future was then dropped unpolled (the host's poll
/// gate, which keeps tokio's shutdown from polling a task its workers
/// already picked).
struct Task {
    future: Option<BoxErased>,
    alive: Option<LiveTask>,
    handle: Handle,
}

impl Future for Task {
    type Output = Option<(BoxErased, LiveTask)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let (Some(future), Some(alive)) = (this.future.as_mut(), this.alive.as_ref()) else {
            // Unreachable in practice: tokio never polls a finished task.
            return Poll::Pending;
        };
        let Some(gate) = alive.host().poll_gate() else {
            this.future = None;
            this.alive = None;
            return Poll::Ready(None);
        };
        let polled = {
            let _entered = this.handle.enter();
            alive.poll(|| future.as_mut().poll_erased(cx))
        };
        drop(gate);
        match polled {
            Poll::Ready(()) => match (this.future.take(), this.alive.take()) {
                (Some(future), Some(mut alive)) => {
                    alive.finished();
                    Poll::Ready(Some((future, alive)))
                }
                _ => Poll::Pending,
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The protocol's join handle over tokio's.
struct Join {
    join: tokio::task::JoinHandle<Option<(BoxErased, LiveTask)>>,
    id: TaskId,
    done: bool,
}

impl RawJoin<BoxErased> for Join {
    fn id(&self) -> TaskId {
        self.id
    }

    fn is_finished(&self) -> bool {
        self.done || self.join.is_finished()
    }

    fn abort(&mut self) {
        self.join.abort();
    }

    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<BoxErased, Error>> {
        if self.done {
            return Poll::Ready(Err(Error::InvalidState("the task was already joined")));
        }
        let joined = match Pin::new(&mut self.join).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(joined) => joined,
        };
        self.done = true;
        Poll::Ready(match joined {
            Ok(Some((future, _alive))) => Ok(future),
            Ok(None) => Err(Error::Cancelled(None)),
            Err(e) if e.is_panic() => Err(Error::from_panic(&*e.into_panic())),
            Err(_) => Err(Error::Cancelled(None)),
        })
    }
}
