//! The future async-task runs for every task: the user's future plus what
//! the protocol asks an executor to do around each poll.

use std::any::Any;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use baton_protocol::coop::{self, DEFAULT_BUDGET};
use baton_protocol::task::BoxErased;
use baton_protocol::wait;
use baton_protocol::{Error, Handle};
use pin_project_lite::pin_project;

use super::{TaskInfo, lost, raw};
use crate::context;

/// What a task leaves behind: its output, or why it has none.
///
/// The error is boxed: it is rare (a panic or a cancellation), and it would
/// otherwise make the output, which shares the task allocation with the
/// future, 32 bytes for every task.
///
/// Dropping it catches a panic in the output's destructor: async-task drops
/// the output of a detached task inside an abort-on-panic guard, and a
/// destructor's panic must not abort the process.
pub(crate) struct Output<T>(Option<Result<T, Box<Error>>>);

impl<T> Output<T> {
    fn new(result: Result<T, Error>) -> Output<T> {
        Output(Some(result.map_err(Box::new)))
    }

    /// Takes the result out; `InvalidState` if it was already taken.
    pub(crate) fn take(&mut self) -> Result<T, Error> {
        match self.0.take() {
            Some(result) => result.map_err(|error| *error),
            None => Err(Error::InvalidState("the task's output was already taken")),
        }
    }
}

impl<T> Drop for Output<T> {
    fn drop(&mut self) {
        if let Some(result) = self.0.take() {
            contain(|| drop(result));
        }
    }
}

pin_project! {
    #[project = StageProj]
    enum Stage<F> {
        Running { #[pin] future: F },
        Done,
    }
}

pin_project! {
    /// The user's future, run under the executor's rules.
    ///
    /// Per poll: the cancel flag is checked first (a cancelled task is never
    /// polled again, and one cancelled before its first poll is never polled
    /// at all: Decision 3); the cooperative budget is reset; the task is
    /// made the thread's current one (the parent of what it spawns); the
    /// wait slot is cleared before and read after, and the report kept in
    /// the record for dumps, with the poll counted (and timed, if on); a panic is caught and becomes the task's output. The user's
    /// future is dropped as soon as it is done with, under `catch_unwind`,
    /// and the task leaves the registry at that moment.
    ///
    /// It borrows its task's record, which lives in the same async-task
    /// allocation (see [`raw`](super::raw)).
    pub(crate) struct TaskFuture<'a, F> {
        #[pin]
        stage: Stage<F>,
        info: &'a TaskInfo,
    }

    impl<'a, F> PinnedDrop for TaskFuture<'a, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let running = matches!(this.stage.as_mut().project(), StageProj::Running { .. });
            if running {
                raw::check_thread(this.info);
                // Dropped before it finished: cancelled by shutdown, or by
                // the runnable being dropped. Nobody can receive a panic of
                // the destructor as a task output any more, so it goes to the
                // runtime's error hook.
                let mut stage = this.stage;
                if let Err(error) = catch(|| stage.set(Stage::Done)) {
                    report(&error);
                }
                this.info.core.tasks().remove(this.info);
            }
        }
    }
}

impl<'a, F: Future> TaskFuture<'a, F> {
    pub(crate) fn new(future: F, info: &'a TaskInfo) -> TaskFuture<'a, F> {
        TaskFuture {
            stage: Stage::Running { future },
            info,
        }
    }
}

impl<F: Future> Future for TaskFuture<'_, F> {
    type Output = Output<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output<F::Output>> {
        let mut this = self.project();
        let info = *this.info;
        raw::check_thread(info);
        if info.is_cancelled() {
            let result = finish(this.stage, info, Err(Error::Cancelled(None)));
            return Poll::Ready(Output::new(result));
        }
        let future = match this.stage.as_mut().project() {
            StageProj::Running { future } => future,
            // async-task never polls a future again once it returned Ready.
            StageProj::Done => return Poll::Ready(Output(None)),
        };
        let start = info.begin_poll();
        let _current = context::enter_task(info.core.key(), info.id);
        let _stale = wait::take();
        let polled = catch(|| {
            coop::with_budget(DEFAULT_BUDGET, || {
                if info.check_lost() {
                    lost::poll_checked(future, cx, info)
                } else {
                    context::with_task_waker(cx.waker(), || future.poll(cx))
                }
            })
        });
        let reported = wait::take();
        match polled {
            Ok(Poll::Pending) => {
                info.set_waiting(reported, start);
                Poll::Pending
            }
            Ok(Poll::Ready(value)) => Poll::Ready(Output::new(finish(this.stage, info, Ok(value)))),
            Err(error) => Poll::Ready(Output::new(finish(this.stage, info, Err(error)))),
        }
    }
}

/// Drops the user's future (a panic in its destructor replaces `result`)
/// and takes the task out of the registry.
fn finish<F: Future>(
    mut stage: Pin<&mut Stage<F>>,
    info: &TaskInfo,
    result: Result<F::Output, Error>,
) -> Result<F::Output, Error> {
    let dropped = catch(|| stage.set(Stage::Done));
    info.core.tasks().remove(info);
    match (dropped, result) {
        (Ok(()), result) => result,
        // The future panicked, then its destructor too: the first panic is
        // the one that explains what went wrong.
        (Err(_), Err(first @ Error::Panicked(_))) => Err(first),
        // A destructor's panic while cancelling is reported through join
        // in place of the cancellation.
        (Err(error), Err(_)) => Err(error),
        (Err(error), Ok(value)) => {
            contain(|| drop(value));
            Err(error)
        }
    }
}

/// Runs `f`, turning a panic into [`Error::Panicked`] with its payload text.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Error> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let error = Error::from_panic(&*payload);
        drop_payload(payload);
        error
    })
}

/// Runs `f` and swallows a panic: for destructors whose panic has nowhere
/// better to go.
pub(crate) fn contain(f: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
        drop_payload(payload);
    }
}

/// Drops a panic payload; a payload whose own destructor panics is leaked
/// rather than allowed to unwind further.
fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

/// Hands an error nobody can receive to the current runtime's error hook
/// (standard error without one).
pub(crate) fn report(error: &Error) {
    match Handle::try_current() {
        Some(handle) => handle.report_error(error),
        None => eprintln!("baton: unobserved error: {error}"),
    }
}

/// The protocol's type-erased future as a future whose output is the box
/// itself, holding the erased output: what `Spawn::spawn_erased` runs.
pub(crate) struct Erased(Option<BoxErased>);

impl Erased {
    pub(crate) fn new(future: BoxErased) -> Erased {
        Erased(Some(future))
    }
}

impl Future for Erased {
    type Output = BoxErased;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BoxErased> {
        let Some(future) = self.0.as_mut() else {
            // The task future drops this future as soon as it returned
            // Ready, so it is never polled again.
            return Poll::Pending;
        };
        std::task::ready!(future.as_mut().poll_erased(cx));
        self.0.take().map_or(Poll::Pending, Poll::Ready)
    }
}

/// A future that runs a closure once, when first polled: a blocking job.
pub(crate) struct RunOnce<F>(Option<F>);

impl<F> RunOnce<F> {
    pub(crate) fn new(f: F) -> RunOnce<F> {
        RunOnce(Some(f))
    }
}

// The closure is moved out, never pinned.
impl<F> Unpin for RunOnce<F> {}

impl<F: FnOnce() -> R, R> Future for RunOnce<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<R> {
        match self.0.take() {
            Some(f) => Poll::Ready(f()),
            // The task future drops this future as soon as it returned Ready,
            // so it is never polled twice.
            None => Poll::Pending,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn catch_keeps_the_payload_text() {
        let e = catch(|| panic!("boom {}", 7)).unwrap_err();
        assert!(
            matches!(e, Error::Panicked(ref t) if t == "boom 7"),
            "{e:?}"
        );
        assert_eq!(catch(|| 5).unwrap(), 5);
    }

    #[test]
    fn output_drop_contains_a_panicking_destructor() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("bomb");
            }
        }
        drop(Output::new(Ok(Bomb)));
        let mut taken = Output::<u8>::new(Ok(1));
        assert_eq!(taken.take().unwrap(), 1);
        assert!(matches!(taken.take(), Err(Error::InvalidState(_))));
    }
}
