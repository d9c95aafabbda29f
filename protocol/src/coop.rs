//! The cooperative budget: how an always-ready source is kept from starving
//! timers and other tasks.
//!
//! A task that reads from a socket that always has data would never return
//! `Pending`, and a cooperative executor would never get its thread back.
//! tokio's answer (`coop`) is the anchor: the executor gives each task poll a
//! budget ([`with_budget`]); every leaf future spends one unit per operation
//! ([`poll_proceed`]); when the budget is spent, leaf futures return
//! `Pending` after waking their task, so the task yields and runs again later.
//!
//! Outside an executor's budget (a hand-driven future, a foreign
//! `block_on`), leaf futures are unconstrained.

use std::cell::Cell;
use std::task::{Context, Poll};

/// The units an executor gives a task per poll, as in tokio.
pub const DEFAULT_BUDGET: u32 = 128;

thread_local! {
    static BUDGET: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Runs `f` (one task poll) with `budget` units, then restores the budget
/// that was in force before, so nested `block_on` calls do not leak theirs.
#[inline]
pub fn with_budget<R>(budget: u32, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u32>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = BUDGET.try_with(|b| b.set(self.0));
        }
    }
    let _restore = Restore(BUDGET.try_with(|b| b.replace(Some(budget))).ok().flatten());
    f()
}

/// Spends one unit of the current budget.
///
/// # Return value
///
/// `Ready(())` if the operation may proceed. `Pending` when the budget is
/// spent: the task's waker has been woken, so the task runs again after the
/// executor has served others.
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    let spent = BUDGET
        .try_with(|b| match b.get() {
            None => false,
            Some(0) => true,
            Some(n) => {
                b.set(Some(n - 1));
                false
            }
        })
        .unwrap_or(false);
    if spent {
        cx.waker().wake_by_ref();
        Poll::Pending
    } else {
        Poll::Ready(())
    }
}

/// Units left in the current poll's budget; `None` when unconstrained.
pub fn remaining() -> Option<u32> {
    BUDGET.try_with(Cell::get).ok().flatten()
}
