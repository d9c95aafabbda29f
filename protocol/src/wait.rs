//! Wait reports: what a pending task waits on.
//!
//! In the design note, asyncio's `Future.__iter__` does `yield self`: the
//! future hands *itself* to the Task, which is how the Task knows what it
//! waits for. A Rust leaf future returns a bare `Pending` instead, so the
//! protocol adds the missing half: just before returning `Pending`, a leaf
//! future (readiness, sleep, Promise, join) calls [`report`] with what it
//! waits on. The executor polling the task calls [`take`] after each poll and
//! keeps the answer for its task dump ("task 7 waits for fd 9 readable").
//!
//! The cost is one thread-local store per `Pending`. The slot holds the
//! *last* report of a poll, which is the innermost leaf that was polled last;
//! a combinator that waits on several things reports whichever was polled
//! last, and [`Labelled`] overrides it with a name of the caller's choice.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::dump::Human;
use crate::reactor::Direction;
use crate::task::TaskId;

/// What a pending leaf future waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitFor {
    /// A file descriptor becoming readable or writable.
    Io {
        /// The file descriptor.
        fd: RawFd,
        /// The direction waited on.
        dir: Direction,
    },
    /// A timer deadline, on the reactor's clock.
    Deadline(Instant),
    /// A [`Promise`](crate::Promise) being completed, by its id.
    Promise(u64),
    /// Another task finishing.
    Task(TaskId),
    /// Something the application named.
    Label(&'static str),
    /// Nothing that can ever happen: a timer that can never fire, such as
    /// `sleep(Duration::MAX)` or any deadline beyond the clock's range. The
    /// string says which. It reads "ever (a deadline beyond the clock's
    /// range)", so a task dump says the task "waits for ever".
    ///
    /// Such a wait keeps no waker, and needs none: nothing would ever use
    /// it. Only cancellation, or another branch of a combinator, ends it.
    /// The executor's lost-waker check takes this report as the answer to
    /// "why was no waker kept" and stays quiet.
    Forever(&'static str),
}

impl fmt::Display for WaitFor {
    /// A deadline reads "a timer": only the reactor knows how far away it
    /// is (its clock may be virtual). Use [`WaitFor::at`] with the
    /// reactor's `now()` to say when it is due.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitFor::Io { fd, dir } => write!(f, "fd {fd} {dir}"),
            WaitFor::Deadline(_) => f.write_str("a timer"),
            WaitFor::Promise(id) => write!(f, "promise {id}"),
            WaitFor::Task(id) => write!(f, "{id} to finish"),
            WaitFor::Label(label) => f.write_str(label),
            WaitFor::Forever(what) => write!(f, "ever ({what})"),
        }
    }
}

impl WaitFor {
    /// This wait as seen at `now`, an instant of the reactor's clock: a
    /// deadline reads "a timer that fires in 1.2 s" (or "a timer overdue by
    /// 3 ms"), anything else as its `Display`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use baton_protocol::wait::WaitFor;
    ///
    /// let now = Instant::now();
    /// let wait = WaitFor::Deadline(now + Duration::from_secs(2));
    /// assert_eq!(wait.to_string(), "a timer");
    /// assert_eq!(wait.at(now).to_string(), "a timer that fires in 2.0 s");
    /// let late = now + Duration::from_millis(2_052);
    /// assert_eq!(wait.at(late).to_string(), "a timer overdue by 52 ms");
    /// ```
    pub fn at(&self, now: Instant) -> At<'_> {
        At { wait: self, now }
    }
}

/// A [`WaitFor`] described at an instant of the reactor's clock; see
/// [`WaitFor::at`].
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    wait: &'a WaitFor,
    now: Instant,
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.wait {
            WaitFor::Deadline(at) if *at >= self.now => {
                write!(f, "a timer that fires in {}", Human(*at - self.now))
            }
            WaitFor::Deadline(at) => write!(f, "a timer overdue by {}", Human(self.now - *at)),
            other => other.fmt(f),
        }
    }
}

thread_local! {
    static SLOT: Cell<Option<WaitFor>> = const { Cell::new(None) };
}

/// Records what the current poll waits on. Leaf futures call it right before
/// returning `Pending`.
#[inline]
pub fn report(wait: WaitFor) {
    let _ = SLOT.try_with(|s| s.set(Some(wait)));
}

/// The last report of the current poll, left in place: the lost-waker check
/// reads it before the executor [`take`]s it.
#[inline]
pub fn peek() -> Option<WaitFor> {
    SLOT.try_with(Cell::get).ok().flatten()
}

/// Takes the last report of the current poll, leaving the slot empty.
/// Executors call it after each poll (and before, to clear a stale report).
#[inline]
pub fn take() -> Option<WaitFor> {
    SLOT.try_with(Cell::take).ok().flatten()
}

/// Wraps `future` so that while it is pending it reports `label`, whatever
/// its leaves reported.
///
/// # Examples
///
/// ```
/// use baton_protocol::wait;
///
/// # async fn demo() {
/// wait::label("config reload", async { /* ... */ }).await;
/// # }
/// ```
pub fn label<F: Future>(label: &'static str, future: F) -> Labelled<F> {
    Labelled { label, future }
}

pin_project_lite::pin_project! {
    /// The future of [`label`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Labelled<F> {
        label: &'static str,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Labelled<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let poll = this.future.poll(cx);
        if poll.is_pending() {
            report(WaitFor::Label(this.label));
        }
        poll
    }
}
