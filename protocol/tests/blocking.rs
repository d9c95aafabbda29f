//! Blocking work: `spawn_blocking` values, panics, aborts, the default
//! pool's bound and shutdown, and a runtime's own pool.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use baton_protocol::Spawn;
use baton_protocol::task::SpawnOptions;
use baton_protocol::task::blocking::{BlockingJob, BlockingPool, DefaultPool};
use baton_protocol::task::spawn_blocking;
use baton_protocol::task::{BoxErased, RawJoin};
use baton_protocol::{Error, Handle};
use util::{InertReactor, block_on};

/// A spawner with no tasks, and the pool given (or none).
struct NoTasks(Option<Refusing>);

impl Spawn for NoTasks {
    fn spawn_erased(
        &self,
        _future: BoxErased,
        _options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        Err(Error::Unsupported("no tasks here"))
    }

    fn alive_tasks(&self) -> usize {
        0
    }

    fn blocking_pool(&self) -> Option<&dyn BlockingPool> {
        self.0.as_ref().map(|p| p as &dyn BlockingPool)
    }
}

#[test]
fn value_and_panic_outside_any_runtime() {
    let sum = block_on(spawn_blocking(|| (1..=10).sum::<u32>()).unwrap()).unwrap();
    assert_eq!(sum, 55);
    let panicked = block_on(spawn_blocking(|| -> u8 { panic!("boom in a job") }).unwrap());
    assert!(
        matches!(&panicked, Err(Error::Panicked(text)) if text == "boom in a job"),
        "{panicked:?}"
    );
}

#[test]
fn joining_twice_is_invalid_state() {
    let mut handle = spawn_blocking(|| 1).unwrap();
    assert_eq!(block_on(&mut handle).unwrap(), 1);
    assert!(handle.is_finished());
    assert!(matches!(block_on(&mut handle), Err(Error::InvalidState(_))));
}

/// A pool of one thread, kept busy until `release` is sent.
fn busy_pool() -> (
    DefaultPool,
    mpsc::Sender<()>,
    baton_protocol::task::BlockingHandle<()>,
) {
    let pool = DefaultPool::new(1, Duration::from_secs(60));
    let (release, wait) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel();
    let (job, busy) = BlockingJob::new(
        move || {
            started_tx.send(()).unwrap();
            wait.recv().unwrap();
        },
        None,
        SpawnOptions::here(),
    );
    pool.execute(job).unwrap();
    started.recv().unwrap();
    (pool, release, busy)
}

#[test]
fn the_pool_is_bounded_and_its_backlog_counted() {
    let (pool, release, busy) = busy_pool();
    let (job, queued) = BlockingJob::new(|| "second", None, SpawnOptions::here());
    pool.execute(job).unwrap();
    assert_eq!(pool.queued(), 1, "a second job waits for the only thread");
    assert_eq!(pool.threads(), 1);
    release.send(()).unwrap();
    block_on(busy).unwrap();
    assert_eq!(block_on(queued).unwrap(), "second");
    assert_eq!(pool.queued(), 0);
}

#[test]
fn abort_before_start_cancels_and_never_runs() {
    let (pool, release, busy) = busy_pool();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let (job, queued) = BlockingJob::new(
        move || flag.store(true, Ordering::SeqCst),
        None,
        SpawnOptions::here(),
    );
    pool.execute(job).unwrap();
    queued.abort();
    assert!(
        queued.is_finished(),
        "an aborted queued job is finished at once"
    );
    assert!(matches!(block_on(queued), Err(Error::Cancelled(None))));
    release.send(()).unwrap();
    block_on(busy).unwrap();
    // The pool reached the aborted job (FIFO) before this one.
    let (job, after) = BlockingJob::new(|| (), None, SpawnOptions::here());
    pool.execute(job).unwrap();
    block_on(after).unwrap();
    assert!(!ran.load(Ordering::SeqCst), "an aborted job ran");
}

#[test]
fn shutdown_cancels_queued_jobs_and_refuses_new_ones() {
    let (pool, release, busy) = busy_pool();
    let (job, queued) = BlockingJob::new(|| 1, None, SpawnOptions::here());
    pool.execute(job).unwrap();
    pool.shutdown();
    assert!(matches!(block_on(queued), Err(Error::Cancelled(None))));
    let (job, late) = BlockingJob::new(|| 2, None, SpawnOptions::here());
    assert!(matches!(pool.execute(job), Err(Error::Shutdown)));
    assert!(matches!(block_on(late), Err(Error::Cancelled(None))));
    // The running job finishes; shutdown does not interrupt it.
    release.send(()).unwrap();
    block_on(busy).unwrap();
}

#[test]
fn a_dropped_handle_detaches_the_job() {
    let (tx, rx) = mpsc::channel();
    spawn_blocking(move || tx.send(7).unwrap())
        .unwrap()
        .detach();
    assert_eq!(rx.recv_timeout(util::HANG_GUARD).unwrap(), 7);
}

#[test]
fn a_job_runs_with_its_runtime_entered() {
    let handle = Handle::new(Arc::new(InertReactor), Arc::new(NoTasks(None)));
    let id = handle.id();
    let seen = block_on(
        handle
            .spawn_blocking(|| Handle::current().map(|h| h.id()))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(seen.unwrap(), id);
}

/// A pool that refuses every job, to check that a runtime's pool is used.
struct Refusing;

impl BlockingPool for Refusing {
    fn execute(&self, job: BlockingJob) -> Result<(), Error> {
        drop(job);
        Err(Error::Shutdown)
    }

    fn queued(&self) -> usize {
        0
    }
}

#[test]
fn the_runtimes_pool_is_used_when_it_has_one() {
    let handle = Handle::new(Arc::new(InertReactor), Arc::new(NoTasks(Some(Refusing))));
    let _enter = handle.enter();
    assert!(matches!(spawn_blocking(|| 1), Err(Error::Shutdown)));
}
