//! `JoinHandle`: one handle type with one set of semantics on every executor.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::TaskId;
use super::erased::{self, BoxErased};
use crate::Error;
use crate::wait::{self, WaitFor};

/// What an executor implements for one spawned task so that a
/// [`JoinHandle`] can join, abort and detach it. Object safe for each `T`.
///
/// # Implementation notes
///
/// Dropping the `RawJoin` must **detach** the task (Decision 2): it runs on,
/// and its output is dropped when it finishes.
pub trait RawJoin<T>: Send {
    /// The task's id, unique within its executor.
    fn id(&self) -> TaskId;

    /// Whether the task has finished: returned, panicked, or been cancelled
    /// and dropped.
    fn is_finished(&self) -> bool;

    /// Requests cancellation: the future is never polled again and is dropped
    /// exactly once by the executor; if it never ran, it is never polled
    /// (Decision 3). A no-op on a finished task, and when called twice.
    fn abort(&mut self);

    /// Waits for the task's end.
    ///
    /// # Return value
    ///
    /// `Ready(Ok(output))` if the future returned (even if `abort` came
    /// later); `Ready(Err(Error::Cancelled(None)))` once a cancelled future
    /// has been dropped; `Ready(Err(Error::Panicked(text)))` if it panicked
    /// (while running, or in its `Drop` during cancellation); `Pending` with
    /// the waker stored otherwise. Polling again after `Ready` gives
    /// `Err(Error::InvalidState(_))`.
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, Error>>;
}

/// A handle to a spawned task; awaiting it gives the task's output.
///
/// The same semantics on every executor:
///
/// - **Dropping the handle detaches the task** (Decision 2, as in tokio): it
///   runs to completion unobserved. [`detach`](JoinHandle::detach) says so
///   explicitly.
/// - [`abort`](JoinHandle::abort) requests cancellation; awaiting the handle
///   afterwards gives `Err(Error::Cancelled(None))` once the future has been
///   dropped, or the output if the task had already finished.
/// - [`cancel`](JoinHandle::cancel) aborts and waits: it returns the output
///   if the task had finished first, `None` otherwise. The task's locals have
///   been dropped when it returns.
/// - A task cancelled before its first poll is never polled (Decision 3).
/// - A panic in the task gives `Err(Error::Panicked(text))`; the executor and
///   other tasks carry on.
/// - A task cancelled by runtime shutdown gives `Err(Error::Cancelled(None))`.
///
/// Structured code uses a [`TaskGroup`](crate::TaskGroup) instead.
#[must_use = "dropping a JoinHandle detaches the task; call .detach() to say so"]
pub struct JoinHandle<T> {
    raw: Raw<T>,
}

/// What a [`JoinHandle`] joins through.
enum Raw<T> {
    /// An executor's handle for a task whose output is `T`.
    Typed(Box<dyn RawJoin<T>>),
    /// A task started with [`Spawn::spawn_erased`](super::Spawn::spawn_erased),
    /// and how to take the `T` out of the box it returns.
    Erased(Box<dyn RawJoin<BoxErased>>, fn(BoxErased) -> Option<T>),
}

impl<T> JoinHandle<T> {
    /// Wraps an executor's task. For executor authors.
    pub fn from_raw(raw: Box<dyn RawJoin<T>>) -> Self {
        JoinHandle {
            raw: Raw::Typed(raw),
        }
    }

    /// Wraps a task started with
    /// [`Spawn::spawn_erased`](super::Spawn::spawn_erased) whose future's
    /// output is `T`. For executor authors; [`spawn`](super::spawn) does it.
    ///
    /// Awaiting the handle gives `Err(Error::InvalidState(_))` if the
    /// future's output is not a `T`, or was already taken.
    pub fn from_erased(raw: Box<dyn RawJoin<BoxErased>>) -> Self
    where
        T: 'static,
    {
        JoinHandle {
            raw: Raw::Erased(raw, erased::take::<T>),
        }
    }

    /// The task's id, unique within its executor.
    pub fn id(&self) -> TaskId {
        match &self.raw {
            Raw::Typed(raw) => raw.id(),
            Raw::Erased(raw, _) => raw.id(),
        }
    }

    /// Whether the task has finished (returned, panicked or been cancelled).
    pub fn is_finished(&self) -> bool {
        match &self.raw {
            Raw::Typed(raw) => raw.is_finished(),
            Raw::Erased(raw, _) => raw.is_finished(),
        }
    }

    /// Requests cancellation; see the type's documentation.
    pub fn abort(&mut self) {
        match &mut self.raw {
            Raw::Typed(raw) => raw.abort(),
            Raw::Erased(raw, _) => raw.abort(),
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
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let poll = match &mut self.raw {
            Raw::Typed(raw) => raw.poll_join(cx),
            Raw::Erased(raw, take) => raw.poll_join(cx).map(|joined| {
                joined.and_then(|future| {
                    take(future).ok_or(Error::InvalidState(
                        "the task's output was already taken, or is of another type",
                    ))
                })
            }),
        };
        if poll.is_pending() {
            wait::report(WaitFor::Task(self.id()));
        }
        poll
    }
}

impl<T> Unpin for JoinHandle<T> {}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
