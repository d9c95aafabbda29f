//! A blocking job as a pool sees it ([`BlockingJob`]), and the handle that
//! awaits its result ([`BlockingHandle`]).
//!
//! The job and its handle share one result slot. The job writes it exactly
//! once, whatever happens to it: the closure's value, its panic, or
//! `Cancelled` when the job is dropped without running (a pool shutting
//! down with the job still queued) or aborted before it started. So every
//! pool, ours or a host's, gives the same semantics by doing only two
//! things: run the job, or drop it.

use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::task::SpawnOptions;
use crate::wait::{self, WaitFor};
use crate::{Error, Handle};

/// What the handle reports to task dumps while it waits.
const WAIT_LABEL: &str = "a blocking job";

/// The result slot a job and its handle share.
///
/// # Invariant
///
/// The state only moves forward: `Queued` → `Running` → `Done` → `Taken`,
/// or `Queued` → `Done` (aborted or dropped before it ran). Only the job
/// moves it to `Running`, and only from `Queued`; whoever moves it to `Done`
/// wakes the stored waker after releasing the lock.
struct Slot<T> {
    state: Mutex<State<T>>,
}

enum State<T> {
    /// Waiting for a pool thread; the waker of the task awaiting the handle.
    Queued(Option<Waker>),
    /// A pool thread runs the closure.
    Running(Option<Waker>),
    /// The outcome, not yet taken.
    Done(Result<T, Error>),
    /// The handle took the outcome.
    Taken,
}

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores the outcome unless one is stored already, and wakes the
    /// waiter. Returns whether it was stored.
    fn finish(&self, outcome: Result<T, Error>) -> bool {
        let mut state = self.lock();
        let waker = match &mut *state {
            State::Queued(waker) | State::Running(waker) => waker.take(),
            State::Done(_) | State::Taken => return false,
        };
        *state = State::Done(outcome);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }
}

/// The typed half of a job: the closure and the slot it fills. Dropped
/// without running, it resolves the slot to `Cancelled`.
struct Work<F, T> {
    f: Option<F>,
    slot: Arc<Slot<T>>,
}

impl<F, T> Work<F, T>
where
    F: FnOnce() -> T,
{
    fn run(mut self) {
        let Some(f) = self.f.take() else { return };
        {
            let mut state = self.slot.lock();
            match &mut *state {
                State::Queued(waker) => *state = State::Running(waker.take()),
                // Aborted while queued: the closure is dropped unrun.
                _ => return,
            }
        }
        let outcome = panic::catch_unwind(AssertUnwindSafe(f))
            .map_err(|payload| Error::from_panic(&*payload));
        self.slot.finish(outcome);
    }
}

impl<F, T> Drop for Work<F, T> {
    fn drop(&mut self) {
        // Never ran (the pool dropped it, or `run` panicked before the
        // closure, which it cannot): the waiter learns it was cancelled.
        if self.f.is_some() {
            self.slot.finish(Err(Error::Cancelled(None)));
        }
    }
}

/// A type-erased job: what a [`BlockingPool`](super::BlockingPool) runs.
///
/// A pool does exactly one of two things with each job: calls
/// [`run`](BlockingJob::run) on one of its threads, or drops it (at
/// shutdown, or when it cannot start a thread). The job then reports its
/// own outcome to its [`BlockingHandle`]: the closure's value, its panic as
/// [`Error::Panicked`], or [`Error::Cancelled`] if it was dropped unrun.
/// Panics never escape [`run`](BlockingJob::run), so a pool thread survives
/// every job.
///
/// # Examples
///
/// A pool that runs each job on a thread of its own:
///
/// ```
/// use baton_protocol::task::blocking::{BlockingJob, BlockingPool};
/// use baton_protocol::task::SpawnOptions;
/// use baton_protocol::Error;
///
/// struct ThreadPerJob;
///
/// impl BlockingPool for ThreadPerJob {
///     fn execute(&self, job: BlockingJob) -> Result<(), Error> {
///         std::thread::Builder::new()
///             .spawn(move || job.run())
///             .map(drop)
///             .map_err(Error::Io)
///     }
///
///     fn queued(&self) -> usize {
///         0
///     }
/// }
///
/// let (job, answer) = BlockingJob::new(|| 6 * 7, None, SpawnOptions::here());
/// ThreadPerJob.execute(job)?;
/// assert_eq!(futures_lite::future::block_on(answer)?, 42);
///
/// // A job the pool drops unrun reports that it was cancelled.
/// let (job, never) = BlockingJob::new(|| 1, None, SpawnOptions::here());
/// drop(job);
/// assert!(matches!(futures_lite::future::block_on(never), Err(Error::Cancelled(None))));
/// # Ok::<(), Error>(())
/// ```
pub struct BlockingJob {
    work: Box<dyn FnOnce() + Send>,
    handle: Option<Handle>,
    options: SpawnOptions,
}

impl BlockingJob {
    /// A job running `f`, and the handle that awaits its result. For pool
    /// tests and pools that make jobs of their own; portable code calls
    /// [`spawn_blocking`](super::spawn_blocking).
    ///
    /// `handle` is the runtime the job enters while it runs, so that the
    /// closure can use [`Handle::current`] (and `block_on` a future of
    /// that runtime).
    pub fn new<F, T>(
        f: F,
        handle: Option<Handle>,
        options: SpawnOptions,
    ) -> (BlockingJob, BlockingHandle<T>)
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = Arc::new(Slot {
            state: Mutex::new(State::Queued(None)),
        });
        let work = Work {
            f: Some(f),
            slot: Arc::clone(&slot),
        };
        let job = BlockingJob {
            work: Box::new(move || work.run()),
            handle,
            options,
        };
        (job, BlockingHandle { slot })
    }

    /// Runs the job on the calling thread, with its runtime entered, and
    /// reports the outcome to its handle. A panic of the closure is caught
    /// and reported as [`Error::Panicked`]; it never unwinds out of here.
    pub fn run(self) {
        let _entered = self.handle.as_ref().map(Handle::enter);
        (self.work)();
    }

    /// The runtime the job enters while it runs, if any.
    pub fn handle(&self) -> Option<&Handle> {
        self.handle.as_ref()
    }

    /// Where the job was spawned (and its name, if it has one): for task
    /// dumps.
    pub fn options(&self) -> &SpawnOptions {
        &self.options
    }
}

impl fmt::Debug for BlockingJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingJob")
            .field("handle", &self.handle)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Awaits the result of a blocking job; what
/// [`spawn_blocking`](super::spawn_blocking) returns.
///
/// - Awaiting it gives the closure's value, [`Error::Panicked`] if it
///   panicked, or [`Error::Cancelled`] if it never ran: aborted before a
///   thread took it, or dropped by a pool that shut down first.
/// - **Dropping the handle detaches the job**: it still runs (as a
///   [`JoinHandle`](crate::JoinHandle) detaches its task).
/// - [`abort`](BlockingHandle::abort) cancels a job that has not started:
///   the handle resolves to `Cancelled` at once, and the closure is dropped
///   unrun when the pool reaches it. A job that started runs to its end (a
///   closure cannot be interrupted).
///
/// It has no task id: a blocking job is not a task of the executor the
/// handle came from. While pending it reports "a blocking job" to task
/// dumps.
///
/// # Examples
///
/// ```
/// # async fn demo() -> Result<(), baton_protocol::Error> {
/// use baton_protocol::task::spawn_blocking;
///
/// let sum = spawn_blocking(|| (1..=100u64).sum::<u64>())?.await?;
/// assert_eq!(sum, 5050);
/// # Ok(()) }
/// ```
#[must_use = "dropping a BlockingHandle detaches the job; call .detach() to say so"]
pub struct BlockingHandle<T> {
    slot: Arc<Slot<T>>,
}

impl<T> BlockingHandle<T> {
    /// Whether the job has finished: returned, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        matches!(*self.slot.lock(), State::Done(_) | State::Taken)
    }

    /// Cancels the job if no thread has started it: awaiting the handle then
    /// gives `Err(Error::Cancelled(None))`. A no-op once the job started.
    pub fn abort(&self) {
        let cancelled = {
            let mut state = self.slot.lock();
            match &mut *state {
                State::Queued(waker) => {
                    let waker = waker.take();
                    *state = State::Done(Err(Error::Cancelled(None)));
                    Some(waker)
                }
                _ => None,
            }
        };
        if let Some(Some(waker)) = cancelled {
            waker.wake();
        }
    }

    /// Cancels the job if it has not started, and waits for its end: the
    /// value if it ran (or was running, and finished), `None` if it was
    /// cancelled or panicked.
    pub async fn cancel(mut self) -> Option<T> {
        self.abort();
        (&mut self).await.ok()
    }

    /// Lets the job run on unobserved (what dropping the handle also does).
    pub fn detach(self) {
        drop(self);
    }
}

impl<T> Future for BlockingHandle<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.slot.lock();
        match &mut *state {
            State::Queued(waker) | State::Running(waker) => {
                if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *waker = Some(cx.waker().clone());
                }
                drop(state);
                wait::report(WaitFor::Label(WAIT_LABEL));
                Poll::Pending
            }
            State::Done(_) => match std::mem::replace(&mut *state, State::Taken) {
                State::Done(outcome) => Poll::Ready(outcome),
                _ => Poll::Ready(Err(Error::InvalidState(
                    "the blocking job was already joined",
                ))),
            },
            State::Taken => Poll::Ready(Err(Error::InvalidState(
                "the blocking job was already joined",
            ))),
        }
    }
}

impl<T> Unpin for BlockingHandle<T> {}

impl<T> fmt::Debug for BlockingHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
