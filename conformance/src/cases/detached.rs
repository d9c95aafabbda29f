//! J. Detached tasks (reliability issue): a task whose `JoinHandle` was
//! dropped right after spawn still completes when the event it waits on
//! comes (Decision 2: dropping the handle detaches).
//!
//! The classic bug these catch is an executor whose wakers hold only weak
//! references to their task: while a detached task waits, nothing holds it
//! strongly, so it is freed and the event wakes nobody. Yielding tasks do
//! not show it (the run queue holds them), which is why
//! `task.handle_drop_and_detach` passes on such an executor.
//!
//! Each task settles a `done` Promise when it has finished; a guard in its
//! future settles it with an error if the future is dropped first, so a
//! freed task fails its case at once rather than at the watchdog.

use std::io::Write;
use std::time::Duration;

use baton_protocol::io::Async;
use baton_protocol::{Error, Promise, sleep, timeout};
use futures_lite::AsyncReadExt;

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::ensure_eq;
use crate::util::socketpair;

/// A hang guard for the tasks' completion, generous on purpose.
const SETTLE: Duration = Duration::from_secs(10);

pub(crate) const CASES: &[Case] = &[
    case!(
        "task.detached_waits_on_timer",
        "a task whose JoinHandle was dropped at spawn completes when its timer fires",
        [],
        detached_waits_on_timer
    ),
    case!(
        "task.detached_waits_on_socket",
        "a task whose JoinHandle was dropped at spawn completes when its socket becomes readable",
        [],
        detached_waits_on_socket
    ),
    case!(
        "task.detached_waits_on_promise",
        "a task whose JoinHandle was dropped at spawn completes when the Promise it awaits is set",
        [],
        detached_waits_on_promise
    ),
];

/// Settles the task's `done` Promise with an error if the task's future is
/// dropped before the task settled it.
struct Unfinished(Promise<u8>);

impl Drop for Unfinished {
    fn drop(&mut self) {
        // `InvalidState` once the task settled it itself: nothing to do.
        let _ = self.0.set_error(Error::Cancelled(Some(
            "the detached task's future was dropped before it completed".into(),
        )));
    }
}

/// Waits for the detached task's verdict and checks it delivered `expected`.
async fn settled(done: &Promise<u8>, what: &str, expected: u8) -> Outcome {
    match timeout(SETTLE, done).await {
        Ok(Ok(value)) => {
            ensure_eq!(value, expected, "the detached task's result");
            Ok(())
        }
        Ok(Err(e)) => Err(Failure::new(format!(
            "a detached task waiting on {what} never completed: {e}"
        ))),
        Err(_) => Err(Failure::new(format!(
            "a detached task waiting on {what} did not complete within {SETTLE:?}"
        ))),
    }
}

fn detached_waits_on_timer(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let done = Promise::new();
        let guard = Unfinished(done.clone());
        let handle = baton_protocol::spawn(async move {
            sleep(Duration::from_millis(5)).await?;
            guard.0.set_result(1)
        })?;
        drop(handle);
        settled(&done, "a timer", 1).await
    })?
}

fn detached_waits_on_socket(ctx: &Ctx) -> Outcome {
    let (a, mut b) = socketpair()?;
    ctx.block_on(async {
        let done = Promise::new();
        let guard = Unfinished(done.clone());
        let started = Promise::<()>::new();
        let reading = started.clone();
        let handle = baton_protocol::spawn(async move {
            let a = Async::new(a)?;
            reading.set_result(())?;
            let mut byte = [0u8; 1];
            let n = (&a).read(&mut byte).await?;
            ensure_eq!(n, 1, "bytes read by the detached task");
            guard.0.set_result(byte[0])?;
            Ok::<_, Failure>(())
        })?;
        drop(handle);
        // The task has registered its socket and is about to wait on it.
        (&started).await?;
        // A write to a freed task's socket fails (EPIPE); the verdict of
        // `done` says why, so it comes first.
        let written = b.write_all(&[7]);
        settled(&done, "a socket", 7).await?;
        Ok(written?)
    })?
}

fn detached_waits_on_promise(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let done = Promise::new();
        let guard = Unfinished(done.clone());
        let started = Promise::<()>::new();
        let waiting = started.clone();
        let gate = Promise::<u8>::new();
        let awaited = gate.clone();
        let handle = baton_protocol::spawn(async move {
            waiting.set_result(())?;
            let value = awaited.await?;
            guard.0.set_result(value)
        })?;
        drop(handle);
        (&started).await?;
        gate.set_result(9)?;
        settled(&done, "a Promise", 9).await
    })?
}
