//! F. The asyncio-style `Promise<T>` on a real runtime: states, callbacks
//! scheduled on the runtime, awaiting across executors and threads,
//! unretrieved errors.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use baton_protocol::promise::DoneCallback;
use baton_protocol::task::yield_now;
use baton_protocol::testing::Stepper;
use baton_protocol::{Error, Promise};

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::util::eventually;
use crate::{ensure, ensure_eq, ensure_matches};

pub(crate) const CASES: &[Case] = &[
    case!(
        "promise.pending_then_result",
        "a new Promise is pending; set_result finishes it once; later sets are InvalidState",
        [],
        pending_then_result
    ),
    case!(
        "promise.set_error",
        "set_error is read back by result, error and await; later sets are InvalidState",
        [],
        set_error
    ),
    case!(
        "promise.cancel",
        "cancel is true once; the Promise is cancelled and done and reads give Cancelled with its message",
        [],
        cancel
    ),
    case!(
        "promise.callbacks_scheduled_in_order",
        "done callbacks never run inside set_result; they run on the runtime, in order, once each",
        [],
        callbacks_scheduled_in_order
    ),
    case!(
        "promise.callback_on_done_promise",
        "a callback added to a done Promise runs on the runtime soon after, not inline",
        [],
        callback_on_done_promise
    ),
    case!(
        "promise.remove_callback_counts",
        "remove_done_callback removes every copy and returns the count; removed callbacks never run",
        [],
        remove_callback_counts
    ),
    case!(
        "promise.await_twice_and_across_executors",
        "a done Promise awaits without suspending; completion on another runtime or thread wakes the awaiter",
        [],
        await_twice_and_across_executors
    ),
    case!(
        "promise.waiter_cancel_semantics",
        "cancelling a task that awaits a Promise leaves the Promise pending and settable (Decision 9)",
        [],
        waiter_cancel_semantics
    ),
    case!(
        "promise.unretrieved_error_reported",
        "an error nobody read is reported once to the runtime's hook; read errors, cancels and results never",
        [],
        unretrieved_error_reported
    ),
    case!(
        "promise.drop_frees_callbacks",
        "dropping a pending Promise drops its callbacks' captures",
        [],
        drop_frees_callbacks
    ),
];

/// An application error for `set_error`.
#[derive(Debug, thiserror::Error)]
#[error("oops")]
struct Oops;

fn pending_then_result(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let p: Promise<u32> = Promise::new();
        ensure!(!p.done() && !p.cancelled());
        ensure_matches!(p.result(), Err(Error::InvalidState(_)));
        ensure_matches!(p.error(), Err(Error::InvalidState(_)));
        p.set_result(5)?;
        ensure!(p.done() && !p.cancelled());
        ensure_eq!(p.result()?, 5);
        ensure_matches!(p.error(), Ok(None));
        ensure_matches!(p.set_result(6), Err(Error::InvalidState(_)));
        ensure_matches!(
            p.set_error(Error::custom(Oops)),
            Err(Error::InvalidState(_))
        );
        ensure!(!p.cancel(), "cancel on a finished Promise returned true");
        ensure_eq!(p.result()?, 5, "a rejected set changed the result");
        ensure_eq!((&p).await?, 5);
        Ok::<_, Failure>(())
    })?
}

fn set_error(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let p: Promise<u32> = Promise::new();
        p.set_error(Error::custom(Oops))?;
        let read = p.result();
        ensure!(
            read.as_ref()
                .err()
                .and_then(Error::downcast_ref::<Oops>)
                .is_some(),
            "result() gave {read:?}"
        );
        let err = p.error()?;
        ensure!(
            err.as_ref().and_then(Error::downcast_ref::<Oops>).is_some(),
            "error() gave {err:?}"
        );
        let awaited = (&p).await;
        ensure!(
            awaited
                .as_ref()
                .err()
                .and_then(Error::downcast_ref::<Oops>)
                .is_some()
        );
        ensure_matches!(p.set_result(1), Err(Error::InvalidState(_)));
        ensure_matches!(p.set_error(Error::Elapsed), Err(Error::InvalidState(_)));
        ensure!(!p.cancel());
        Ok::<_, Failure>(())
    })?
}

fn cancel(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let p: Promise<u32> = Promise::new();
        ensure!(p.cancel_with("stop"), "the first cancel returned false");
        ensure!(!p.cancel(), "the second cancel returned true");
        ensure!(p.cancelled() && p.done());
        ensure_matches!(p.result(), Err(Error::Cancelled(Some(ref m))) if m == "stop");
        ensure_matches!(p.error(), Err(Error::Cancelled(Some(ref m))) if m == "stop");
        ensure_matches!((&p).await, Err(Error::Cancelled(Some(_))));
        ensure_matches!(p.set_result(1), Err(Error::InvalidState(_)));
        ensure_matches!(p.set_error(Error::Elapsed), Err(Error::InvalidState(_)));
        Ok::<_, Failure>(())
    })?
}

type Log = Arc<Mutex<Vec<usize>>>;

fn logged(log: &Log) -> Vec<usize> {
    log.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

thread_local! {
    /// Set on the case's thread while it completes a Promise or adds a
    /// callback: a callback that sees it set ran inline.
    static COMPLETING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (a `set_result`, `cancel`, `add_done_callback` ...) marked, so
/// a callback running inside it can tell.
fn completing<R>(f: impl FnOnce() -> R) -> R {
    COMPLETING.with(|c| c.set(true));
    let r = f();
    COMPLETING.with(|c| c.set(false));
    r
}

/// A callback that logs `id`, and logs `usize::MAX` instead if it runs
/// inline, inside the call that completed its Promise or added it.
fn logging_callback(log: &Log, id: usize) -> DoneCallback<u32> {
    let log = Arc::clone(log);
    DoneCallback::new(move |_| {
        let inline = COMPLETING.with(Cell::get);
        let entry = if inline { usize::MAX } else { id };
        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    })
}

/// Waits until `log` holds `n` entries (the callbacks may run on another
/// worker), then yields a little more so a duplicate run would show.
async fn settle(log: &Log, n: usize) {
    eventually(Duration::from_secs(10), || logged(log).len() >= n).await;
    for _ in 0..10 {
        yield_now().await;
    }
}

fn callbacks_scheduled_in_order(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        for complete in 0..3 {
            let log: Log = Arc::default();
            let p: Promise<u32> = Promise::new();
            for id in 0..5 {
                p.add_done_callback(logging_callback(&log, id));
            }
            completing(|| match complete {
                0 => p.set_result(1),
                1 => p.set_error(Error::custom(Oops)),
                _ => {
                    p.cancel();
                    Ok(())
                }
            })?;
            let _ = p.error();
            settle(&log, 5).await;
            ensure_eq!(
                logged(&log),
                vec![0, 1, 2, 3, 4],
                "callbacks ran inline (usize::MAX), out of order, or not exactly once"
            );
        }
        Ok::<_, Failure>(())
    })?
}

fn callback_on_done_promise(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let log: Log = Arc::default();
        let p: Promise<u32> = Promise::new();
        p.set_result(3)?;
        completing(|| p.add_done_callback(logging_callback(&log, 7)));
        settle(&log, 1).await;
        ensure_eq!(
            logged(&log),
            vec![7],
            "the callback ran inline (usize::MAX), never, or twice"
        );
        Ok::<_, Failure>(())
    })?
}

fn remove_callback_counts(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let log: Log = Arc::default();
        let p: Promise<u32> = Promise::new();
        let removed = logging_callback(&log, 1);
        let kept = logging_callback(&log, 2);
        for _ in 0..6 {
            p.add_done_callback(removed.clone());
        }
        p.add_done_callback(kept);
        ensure_eq!(p.remove_done_callback(&removed), 6);
        ensure_eq!(p.remove_done_callback(&removed), 0);
        ensure_eq!(p.remove_done_callback(&logging_callback(&log, 3)), 0);
        p.set_result(0)?;
        settle(&log, 1).await;
        ensure_eq!(
            logged(&log),
            vec![2],
            "a removed callback ran, or the kept one did not"
        );
        Ok::<_, Failure>(())
    })?
}

fn await_twice_and_across_executors(ctx: &Ctx) -> Outcome {
    // A done Promise: awaiting it completes at the first poll, twice.
    let done: Promise<u32> = Promise::new();
    done.set_result(4)?;
    for _ in 0..2 {
        let mut step = Stepper::new(&done);
        ensure_matches!(step.step().ready(), Some(Ok(4)));
    }

    // Completed by a task of another runtime (built and driven on another
    // thread), awaited on this one.
    let y = ctx.runtime()?;
    let p: Promise<u32> = Promise::new_in(&y.handle());
    let setter = p.clone();
    let (pair, seed) = (ctx.pair().clone(), ctx.seed());
    let other = thread::spawn(move || -> Result<(), Failure> {
        let x = crate::Runtime::new(&pair, seed)?;
        x.block_on(async move {
            baton_protocol::sleep(Duration::from_millis(5)).await?;
            setter.set_result(11)
        })??;
        x.teardown()
    });
    // Awaited without a protocol timeout: the completion comes from another
    // runtime, whose clock this one's (possibly virtual) timers know nothing
    // of. The watchdog guards the hang.
    let got = y.block_on(async { (&p).await })?;
    other
        .join()
        .map_err(|_| Failure::new("the other runtime's thread panicked"))??;
    ensure_eq!(
        got?,
        11,
        "a Promise completed on another runtime gave the wrong value"
    );

    // Completed by a plain thread.
    let q: Promise<u32> = Promise::new();
    let setter = q.clone();
    let got = y.block_on(async {
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(5));
            setter.set_result(12)
        });
        let got = (&q).await;
        (got, t.join())
    })?;
    ensure_matches!(got.1, Ok(Ok(())));
    ensure_eq!(got.0?, 12);
    Ok(())
}

fn waiter_cancel_semantics(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let p: Promise<u32> = Promise::new();
        let waiting = p.clone();
        let mut task = baton_protocol::spawn(async move { (&waiting).await })?;
        for _ in 0..10 {
            yield_now().await;
        }
        task.abort();
        ensure_matches!(task.await, Err(Error::Cancelled(_)));
        ensure!(!p.done(), "cancelling a waiter completed the Promise");
        p.set_result(9)?;
        ensure_eq!(p.result()?, 9);
        // Dropping (detaching) a waiting task's handle changes nothing either.
        let q: Promise<u32> = Promise::new();
        let waiting = q.clone();
        let detached = baton_protocol::spawn(async move { (&waiting).await })?;
        drop(detached);
        yield_now().await;
        ensure!(!q.done());
        q.set_result(1)?;
        Ok::<_, Failure>(())
    })?
}

fn unretrieved_error_reported(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    let reports = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&reports);
    rt.handle().set_error_hook(move |e| {
        if e.downcast_ref::<Oops>().is_some() {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    rt.block_on(async {
        // Unread: reported once when the last clone goes.
        let p: Promise<u32> = Promise::new();
        let clone = p.clone();
        p.set_error(Error::custom(Oops))?;
        drop(p);
        ensure_eq!(
            reports.load(Ordering::SeqCst),
            0,
            "reported while a clone lived"
        );
        drop(clone);
        ensure_eq!(
            reports.load(Ordering::SeqCst),
            1,
            "an unread error was not reported exactly once"
        );
        // Read, cancelled, or a result: never reported.
        let read: Promise<u32> = Promise::new();
        read.set_error(Error::custom(Oops))?;
        let _ = read.result();
        drop(read);
        let cancelled: Promise<u32> = Promise::new();
        cancelled.cancel();
        drop(cancelled);
        let fine: Promise<u32> = Promise::new();
        fine.set_result(1)?;
        drop(fine);
        ensure_eq!(
            reports.load(Ordering::SeqCst),
            1,
            "a retrieved error, a cancel or a result was reported"
        );
        Ok::<_, Failure>(())
    })?
}

fn drop_frees_callbacks(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let captured = Arc::new(42u64);
        let weak = Arc::downgrade(&captured);
        let p: Promise<u32> = Promise::new();
        p.add_done_callback(DoneCallback::new(move |_| {
            let _ = &captured;
        }));
        ensure!(weak.upgrade().is_some());
        drop(p);
        ensure!(
            weak.upgrade().is_none(),
            "a dropped Promise kept its callback's capture alive"
        );
        Ok::<_, Failure>(())
    })?
}
