//! The lost-waker check: the Rust form of asyncio's error for a coroutine
//! that yields something other than a Future.
//!
//! A task that returns `Pending` without having cloned, stored or woken its
//! waker can never run again: nothing will ever wake it. With the check on,
//! each poll hands the future a tracking waker that wraps the task's own;
//! after a `Pending` poll, a tracker that was neither woken nor cloned (its
//! reference count is back to the one the executor holds) proves the waker
//! was lost, and the task is reported once.
//!
//! Legitimate patterns pass: a reactor or channel that stores the waker holds
//! a clone (count above one); a `yield_now` or a spent budget woke it; a
//! wait that can never end (`sleep(Duration::MAX)`, a deadline beyond the
//! clock's range) reports [`WaitFor::Forever`] and needs no waker: that task
//! waits for ever by request, which its dump says. The
//! cost, one allocation per poll, is why the check is on by default only in
//! debug builds.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use baton_protocol::Error;
use baton_protocol::task::TaskId;
use baton_protocol::wait::{self, WaitFor};

use super::TaskInfo;
use crate::context;

/// The report of the lost-waker check: a task returned `Pending` without
/// keeping its waker, so it will never be polled again.
///
/// It reaches the runtime's error hook
/// ([`Handle::set_error_hook`](baton_protocol::Handle::set_error_hook)) as an
/// [`Error::Custom`]; recover it with [`Error::downcast_ref`]. Without a
/// hook it is printed to standard error.
///
/// # Examples
///
/// ```
/// use baton_executor::LostWaker;
/// use baton_protocol::Error;
///
/// fn on_error(error: &Error) {
///     if let Some(lost) = error.downcast_ref::<LostWaker>() {
///         eprintln!("{} will never run again", lost.id);
///     }
/// }
/// # let _ = on_error;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LostWaker {
    /// The task's id.
    pub id: TaskId,
    /// The task's name, if it has one.
    pub name: Option<Arc<str>>,
    /// Where the task was spawned.
    pub location: &'static Location<'static>,
}

impl fmt::Display for LostWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lost waker: {} (", self.id)?;
        if let Some(name) = &self.name {
            write!(f, "{name}, ")?;
        }
        write!(
            f,
            "spawned at {}:{}) returned Pending without keeping or waking its waker; \
             nothing can wake it again",
            self.location.file(),
            self.location.line()
        )
    }
}

impl std::error::Error for LostWaker {}

/// The waker a checked poll hands out: forwards to the task's waker and
/// remembers whether it was woken.
struct Tracker {
    inner: Waker,
    woken: AtomicBool,
}

impl Wake for Tracker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Relaxed);
        self.inner.wake_by_ref();
    }
}

/// Polls `future` through a tracking waker and reports the task if the
/// waker was lost.
pub(super) fn poll_checked<F: Future + ?Sized>(
    future: Pin<&mut F>,
    cx: &mut Context<'_>,
    info: &TaskInfo,
) -> Poll<F::Output> {
    let tracker = Arc::new(Tracker {
        inner: cx.waker().clone(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(Arc::clone(&tracker));
    let poll = context::with_task_waker(&waker, || future.poll(&mut Context::from_waker(&waker)));
    drop(waker);
    if poll.is_pending() {
        // For dumps: a task that reports no wait is still known to be
        // wakeable, or not.
        info.note_waker(Arc::strong_count(&tracker) > 1 || tracker.woken.load(Ordering::Relaxed));
    }
    if poll.is_pending()
        && Arc::strong_count(&tracker) == 1
        && !tracker.woken.load(Ordering::Relaxed)
        && !matches!(wait::peek(), Some(WaitFor::Forever(_)))
        && !info.mark_lost_reported()
    {
        super::future::report(&Error::custom(LostWaker {
            id: info.id,
            name: info.name().cloned(),
            location: info.location(),
        }));
    }
    poll
}
