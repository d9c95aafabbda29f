//! I. Blocking work: jobs on the runtime's blocking pool, their panics, the
//! pool's backlog cancelled at shutdown, and `Unblock`'s batching.

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use baton_protocol::task::{BlockingHandle, spawn_blocking};
use baton_protocol::unblock::Unblock;
use baton_protocol::{Error, Handle, spawn};
use futures_lite::AsyncReadExt;

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::{ensure, ensure_eq, ensure_matches};

pub(crate) const CASES: &[Case] = &[
    case!(
        "blocking.job_runs_and_panic_is_panicked",
        "spawn_blocking runs on the runtime's pool with the runtime entered; a panic is Error::Panicked",
        [],
        job_runs_and_panic_is_panicked
    ),
    case!(
        "blocking.jobs_from_many_tasks_all_complete",
        "200 jobs spawned from 8 tasks all run once and report their values",
        [],
        jobs_from_many_tasks_all_complete
    ),
    case!(
        "blocking.queued_cancelled_at_shutdown",
        "jobs still queued when the runtime shuts down never run and give Error::Cancelled",
        [BlockingShutdown],
        queued_cancelled_at_shutdown
    ),
    case!(
        "blocking.unblock_batches_without_loss",
        "Unblock through a 64-byte pipe delivers 64 KiB intact, read 13 bytes at a time",
        [],
        unblock_batches_without_loss
    ),
];

fn job_runs_and_panic_is_panicked(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    let id = rt.handle().id();
    ctx.block_on(async move {
        let value = spawn_blocking(|| 6 * 7)?.await?;
        ensure_eq!(value, 42);
        let seen = spawn_blocking(|| Handle::current().map(|h| h.id()))?.await?;
        ensure_eq!(
            seen.ok(),
            Some(id),
            "the job did not run with its runtime entered"
        );
        let panicked = spawn_blocking(|| -> u8 { panic!("job panic") })?.await;
        ensure_matches!(panicked, Err(Error::Panicked(ref text)) if text == "job panic");
        // The pool survives the panic.
        ensure_eq!(spawn_blocking(|| 1)?.await?, 1);
        Ok::<_, Failure>(())
    })??;
    settle(&rt.handle())
}

fn jobs_from_many_tasks_all_complete(ctx: &Ctx) -> Outcome {
    let sums = ctx.block_on(async {
        let mut tasks = Vec::new();
        for t in 0..8u64 {
            tasks.push(spawn(async move {
                let mut sum = 0;
                let jobs: Vec<_> = (0..25u64)
                    .map(|j| spawn_blocking(move || t * 100 + j))
                    .collect::<Result<_, _>>()?;
                for job in jobs {
                    sum += job.await?;
                }
                Ok::<_, Error>(sum)
            })?);
        }
        let mut sums = Vec::new();
        for task in tasks {
            sums.push(task.await??);
        }
        Ok::<_, Error>(sums)
    })??;
    let want: Vec<u64> = (0..8u64)
        .map(|t| (0..25).map(|j| t * 100 + j).sum())
        .collect();
    ensure_eq!(sums, want);
    settle(&ctx.runtime()?.handle())
}

/// The width of the pool [`Need::BlockingShutdown`](crate::Need) promises.
const POOL_THREADS: usize = 64;

fn queued_cancelled_at_shutdown(ctx: &Ctx) -> Outcome {
    let rt = ctx.new_runtime()?;
    let handle = rt.handle();
    let (release, gate) = mpsc::channel::<()>();
    let gate = Arc::new(Mutex::new(gate));
    let (started_tx, started) = mpsc::channel::<()>();
    let entered = handle.enter();
    // Every thread takes a job that waits at the gate...
    let mut running: Vec<BlockingHandle<()>> = Vec::new();
    for _ in 0..POOL_THREADS {
        let (gate, started_tx) = (Arc::clone(&gate), started_tx.clone());
        running.push(spawn_blocking(move || {
            let _ = started_tx.send(());
            let _ = gate.lock().map(|g| g.recv());
        })?);
    }
    for _ in 0..POOL_THREADS {
        started
            .recv()
            .map_err(|_| Failure::new("a blocking job never started"))?;
    }
    // ...so the next one has to queue.
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let queued = spawn_blocking(move || flag.store(true, Ordering::SeqCst))?;
    ensure_eq!(handle.blocking_pool().queued(), 1, "the pool's backlog");
    drop(entered);
    // Shutdown drops the queued job (its handle gives Cancelled), then may
    // wait for the running ones: open the gate from another thread once the
    // queued job has resolved.
    let opener = thread::spawn(move || {
        let outcome = futures_lite::future::block_on(queued);
        for _ in 0..POOL_THREADS {
            let _ = release.send(());
        }
        outcome
    });
    rt.executor()
        .shutdown()
        .map_err(|e| Failure::new(format!("shutdown failed: {e}")))?;
    let outcome = opener
        .join()
        .map_err(|_| Failure::new("the gate opener panicked"))?;
    ensure_matches!(outcome, Err(Error::Cancelled(None)));
    for job in running {
        ensure_matches!(futures_lite::future::block_on(job), Ok(()));
    }
    ensure!(
        !ran.load(Ordering::SeqCst),
        "a job cancelled at shutdown ran"
    );
    settle(&handle)?;
    rt.teardown()
}

/// How long the pool's own bookkeeping may take to catch up: a hang guard.
const SETTLE: Duration = Duration::from_secs(10);

/// Waits until the runtime counts no task, blocking jobs included. A job's
/// handle resolves from inside the job, a moment before the executor frees
/// the task that ran it; a teardown right after would count it.
///
/// # Errors
///
/// A task that never ends.
pub(crate) fn settle(handle: &Handle) -> Outcome {
    let spawner = Arc::clone(handle.spawner());
    let deadline = Instant::now() + SETTLE;
    while spawner.alive_tasks() > 0 {
        ensure!(
            Instant::now() < deadline,
            "{} tasks still alive after their blocking jobs resolved",
            spawner.alive_tasks()
        );
        thread::yield_now();
    }
    Ok(())
}

fn unblock_batches_without_loss(ctx: &Ctx) -> Outcome {
    let data: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let source = Unblock::with_capacity(64, Cursor::new(data.clone()));
    let back = ctx.block_on(async move {
        let mut source = source;
        let mut back = Vec::new();
        let mut buf = [0; 13];
        loop {
            let n = source.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            back.extend_from_slice(&buf[..n]);
        }
        // The object comes back at its end.
        let mut inner = source.into_inner().await?;
        let mut rest = Vec::new();
        inner.read_to_end(&mut rest)?;
        std::io::Result::Ok((back, rest))
    })??;
    ensure!(back.0 == data, "bytes lost, repeated or reordered");
    ensure!(back.1.is_empty(), "the object was not read to its end");
    settle(&ctx.runtime()?.handle())
}
