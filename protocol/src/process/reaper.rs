//! Reaping children dropped before their exit status was read, so none is
//! left a zombie.
//!
//! A dropped [`Child`](super::Child) that is still running is adopted: a
//! detached task on the runtime it was spawned on waits for its exit (on
//! its pidfd, or `SIGCHLD`) and reaps it. A child whose task cannot run
//! (the runtime shut down, or refused the spawn) goes to a process-wide
//! list instead, checked with non-blocking `waitpid`s whenever a child is
//! spawned or a wait completes — tokio's orphan queue does the same.

use std::future::Future;
use std::pin::Pin;
use std::process;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use super::exit::Exit;
use crate::Handle;

/// Children whose exit nobody watches any more.
static ORPHANS: Mutex<Vec<process::Child>> = Mutex::new(Vec::new());

/// Takes over `child`, which its owner dropped unwaited: reaps it now if it
/// has exited, else when it exits.
pub(super) fn adopt(mut child: process::Child, exit: Option<Exit>, handle: &Handle) {
    // Exited already (or reaped by someone else): nothing to watch.
    if !matches!(child.try_wait(), Ok(None)) {
        return;
    }
    match exit {
        // A refused spawn drops the task's future, which hands the child on
        // to the list.
        Some(exit) => drop(handle.spawn(Reap {
            child: Some(child),
            exit,
        })),
        None => orphan(child),
    }
}

/// Reaps every listed child that has exited; keeps the rest.
pub(super) fn reap_orphans() {
    let mut orphans = ORPHANS.lock().unwrap_or_else(PoisonError::into_inner);
    if !orphans.is_empty() {
        orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
    }
}

fn orphan(child: process::Child) {
    ORPHANS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(child);
}

/// The task that waits for an adopted child's exit.
struct Reap {
    /// `None` once reaped.
    child: Option<process::Child>,
    exit: Exit,
}

impl Future for Reap {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(child) = this.child.as_mut() else {
            return Poll::Ready(());
        };
        match this.exit.poll_exit(child, cx) {
            Poll::Ready(Ok(_)) => {
                this.child = None;
                reap_orphans();
                Poll::Ready(())
            }
            // The reactor is gone: `drop` lists the child.
            Poll::Ready(Err(_)) => Poll::Ready(()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Reap {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            orphan(child);
        }
    }
}
