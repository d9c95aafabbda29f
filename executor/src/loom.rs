//! Loom models of the hand-offs where a wake-up could be lost: the parker
//! (condvar and reactor sides), the idle-worker bookkeeping against a
//! submitter, and the local executor's remote queue against its owner; and
//! of the task lifecycle: a join handle dropped while its task completes,
//! and a shutdown racing a spawn and a wake.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p baton-executor --release --lib loom`.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_protocol::reactor::{Direction, Interest, ReactorStats, SourceKey, Tick, TimerKey, Turn};
use baton_protocol::task::SpawnOptions;
use baton_protocol::{Error, Reactor};
use concurrent_queue::ConcurrentQueue;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::LocalExecutor;
use crate::park::{Driver, Parker};
use crate::runtime::Idle;
use crate::sync::{self, Condvar, Mutex};
use crate::task::{self, Core, Instrument, Runnable, Scheduler, Tasks};

/// A reactor whose `park` sleeps until `unpark`: the one behaviour the
/// hand-offs rely on, with loom primitives.
struct ModelReactor {
    unparked: Mutex<bool>,
    condvar: Condvar,
}

impl ModelReactor {
    fn new() -> ModelReactor {
        ModelReactor {
            unparked: Mutex::new(false),
            condvar: Condvar::new(),
        }
    }

    fn shared() -> Arc<dyn Reactor> {
        Arc::new(ModelReactor::new())
    }
}

impl Reactor for ModelReactor {
    fn register(&self, _: RawFd, _: Interest) -> Result<SourceKey, Error> {
        Err(Error::Unsupported("model reactor"))
    }
    fn reregister(&self, _: SourceKey, _: Interest) -> Result<(), Error> {
        Err(Error::Unsupported("model reactor"))
    }
    fn deregister(&self, _: SourceKey) -> Result<(), Error> {
        Err(Error::Unsupported("model reactor"))
    }
    fn close(&self, _: SourceKey) -> Result<(), Error> {
        Err(Error::Unsupported("model reactor"))
    }
    fn poll_ready(
        &self,
        _: SourceKey,
        _: Direction,
        _: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        Poll::Ready(Err(Error::Unsupported("model reactor")))
    }
    fn clear_ready(&self, _: SourceKey, _: Direction, _: Tick) -> Result<(), Error> {
        Err(Error::Unsupported("model reactor"))
    }
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn insert_timer(&self, _: Instant, _: &Waker) -> Result<TimerKey, Error> {
        Err(Error::Unsupported("model reactor"))
    }
    fn poll_timer(&self, _: TimerKey, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Err(Error::Unsupported("model reactor")))
    }
    fn reset_timer(&self, _: TimerKey, _: Instant) -> Result<(), Error> {
        Err(Error::Unsupported("model reactor"))
    }
    fn cancel_timer(&self, _: TimerKey) -> bool {
        false
    }
    fn park(&self, timeout: Option<Duration>, _: bool) -> Result<Turn, Error> {
        let mut unparked = sync::lock(&self.unparked);
        if timeout != Some(Duration::ZERO) {
            while !*unparked {
                unparked = sync::wait(&self.condvar, unparked);
            }
        }
        let was = std::mem::take(&mut *unparked);
        Ok(Turn::new(0, 0, was))
    }
    fn unpark(&self) {
        *sync::lock(&self.unparked) = true;
        self.condvar.notify_one();
    }
    fn resolution(&self) -> Duration {
        Duration::ZERO
    }
    fn stats(&self) -> ReactorStats {
        ReactorStats::default()
    }
    fn shutdown(&self) {}
}

/// An unpark from another thread always ends a park, whether it comes
/// before the park, while the thread waits on its condvar, or while it
/// waits in the reactor.
#[test]
fn loom_parker_unpark_is_never_lost() {
    loom::model(|| {
        let driver = Arc::new(Driver::new(ModelReactor::shared()));
        let parker = Arc::new(Parker::new());
        let flag = Arc::new(AtomicUsize::new(0));
        let unparker = {
            let (driver, parker, flag) = (driver.clone(), parker.clone(), flag.clone());
            thread::spawn(move || {
                flag.store(1, Ordering::Release);
                parker.unpark(&driver);
            })
        };
        // Park until the flag is seen: a lost unpark would leave this
        // thread asleep forever, which loom reports as a deadlock.
        while flag.load(Ordering::Acquire) == 0 {
            parker.park(&driver, || true);
        }
        unparker.join().unwrap();
    });
}

/// Two parkers share one driver: one waits in the reactor, the other on
/// its condvar; unparking both wakes both.
#[test]
fn loom_two_parkers_one_driver() {
    loom::model(|| {
        let driver = Arc::new(Driver::new(ModelReactor::shared()));
        let parkers = Arc::new([Parker::new(), Parker::new()]);
        let flags = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let sleepers: Vec<_> = (0..2)
            .map(|i| {
                let (driver, parkers, flags) = (driver.clone(), parkers.clone(), flags.clone());
                thread::spawn(move || {
                    while flags[i].load(Ordering::Acquire) == 0 {
                        parkers[i].park(&driver, || false);
                    }
                })
            })
            .collect();
        for i in 0..2 {
            flags[i].store(1, Ordering::Release);
            parkers[i].unpark(&driver);
        }
        for s in sleepers {
            s.join().unwrap();
        }
    });
}

/// The runtime's hand-off: a worker that finds no work registers as a
/// sleeper, checks the queue once more if it was the last searcher, and
/// parks; a submitter pushes, then wakes a sleeper if nobody searches. The
/// work is always taken. Mirrors `Worker::park` and `Shared::push_remote`.
#[test]
fn loom_idle_worker_never_misses_submitted_work() {
    loom::model(|| {
        let driver = Arc::new(Driver::new(ModelReactor::shared()));
        let idle = Arc::new(Idle::new(1));
        let parker = Arc::new(Parker::new());
        let queue = Arc::new(AtomicUsize::new(0));
        let submitter = {
            let (driver, idle, parker, queue) =
                (driver.clone(), idle.clone(), parker.clone(), queue.clone());
            thread::spawn(move || {
                queue.fetch_add(1, Ordering::SeqCst);
                if let Some(worker) = idle.worker_to_notify(|_| true) {
                    assert_eq!(worker, 0);
                    parker.unpark(&driver);
                }
            })
        };
        // The worker: searching, found nothing, parks.
        assert!(idle.transition_worker_to_searching());
        let mut searching = true;
        loop {
            if queue.load(Ordering::SeqCst) > 0 {
                break;
            }
            let last = idle.transition_worker_to_parked(0, searching);
            if last && queue.load(Ordering::SeqCst) > 0 {
                // notify_if_work_pending: wake a sleeper (itself).
                if idle.worker_to_notify(|_| true).is_some() {
                    parker.unpark(&driver);
                }
            }
            loop {
                parker.park(&driver, || true);
                if !idle.is_parked(0) {
                    break;
                }
            }
            // Notified: taken out of the sleepers list, counted searching.
            searching = true;
        }
        if searching {
            idle.transition_worker_from_searching();
        }
        submitter.join().unwrap();
        assert_eq!(queue.load(Ordering::SeqCst), 1);
    });
}

/// The local executor's hand-off: another thread pushes to the remote
/// queue and unparks; the owner checks the queue and parks. The owner
/// always sees the task.
#[test]
fn loom_local_remote_push_wakes_owner() {
    loom::model(|| {
        let driver = Arc::new(Driver::new(ModelReactor::shared()));
        let parker = Arc::new(Parker::new());
        let remote = Arc::new(ConcurrentQueue::<u32>::unbounded());
        let pusher = {
            let (driver, parker, remote) = (driver.clone(), parker.clone(), remote.clone());
            thread::spawn(move || {
                remote.push(7).unwrap();
                parker.unpark(&driver);
            })
        };
        let got = loop {
            if let Ok(value) = remote.pop() {
                break value;
            }
            parker.park(&driver, || remote.is_empty());
        };
        assert_eq!(got, 7);
        pusher.join().unwrap();
    });
}

/// Counts how many times it is dropped: put in a future, it counts the
/// future's drops; returned, the output's.
struct Tracked(Arc<AtomicUsize>);

impl Tracked {
    fn new() -> (Tracked, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        (Tracked(count.clone()), count)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// An executor reduced to its registry and a queue: what a task reaches
/// through its [`Core`].
struct ModelScheduler {
    tasks: Tasks,
    queue: Mutex<VecDeque<Runnable>>,
}

impl Scheduler for ModelScheduler {
    fn schedule_remote(&self, runnable: Runnable) {
        sync::lock(&self.queue).push_back(runnable);
    }

    fn tasks(&self) -> &Tasks {
        &self.tasks
    }
}

/// A join handle dropped (detached) on one thread while a worker runs the
/// task to completion on another: the executor's task (`task::spawn`,
/// `TaskFuture`, `Output`, the registry) behind the protocol's
/// `JoinHandle` (`protocol/src/task/join.rs`), the handle converted as
/// `Spawn` implementations do. Whatever the order, the future and the
/// output are each dropped exactly once, the task leaves the registry, and
/// its allocation is freed (the record's destructor ran: no leak, and no
/// second free).
///
/// async-task's own state machine has no loom support: its atomics run
/// unmodelled, each of its steps atomic between the points loom sees
/// (the registry's lock, the cancel flag, the drop counters here), which
/// is where the interleavings are explored.
///
/// Catches: a handle whose drop cancels instead of detaching (Decision 2:
/// the output of a task that finishes after the drop is never made, and a
/// future dropped before it ran is never run), a handle that forgets its
/// task (the output and the allocation leak), and an output dropped by
/// both the joiner and the executor.
#[test]
fn loom_join_handle_drop_vs_completion() {
    loom::model(|| {
        let scheduler = Arc::new(ModelScheduler {
            tasks: Tasks::new(1),
            queue: Mutex::new(VecDeque::new()),
        });
        let (in_future, future_drops) = Tracked::new();
        // The output is made by the poll, so a task that never ran has none.
        let output_drops = Arc::new(AtomicUsize::new(0));
        let output = output_drops.clone();
        // Loom switches threads only at its own operations, and neither the
        // handle's drop nor async-task's steps are one: the worker marks
        // each phase on this probe (taking the task, inside its poll, done)
        // and the dropper reads it first, so that loom tries the drop
        // before the task runs, while it is being polled, and after it
        // completed.
        let probe = Arc::new(AtomicUsize::new(0));
        let (task_probe, worker_probe) = (probe.clone(), probe.clone());
        let (runnable, join) = task::spawn(
            Core::new(&scheduler),
            async move {
                let _held = in_future;
                task_probe.fetch_add(1, Ordering::SeqCst);
                Tracked(output)
            },
            SpawnOptions::here(),
            Instrument {
                check_lost: false,
                poll_timing: false,
            },
            |runnable: Runnable, _| {
                let core = runnable.metadata().core.clone();
                core.schedule_remote(runnable);
            },
        )
        .unwrap();
        let join: baton_protocol::JoinHandle<Tracked> = join.into();
        let worker = thread::spawn(move || {
            worker_probe.fetch_add(1, Ordering::SeqCst);
            runnable.run();
            worker_probe.fetch_add(1, Ordering::SeqCst);
        });
        let dropper = thread::spawn(move || {
            probe.load(Ordering::SeqCst);
            drop(join);
        });
        worker.join().unwrap();
        dropper.join().unwrap();
        assert_eq!(future_drops.load(Ordering::SeqCst), 1, "future drops");
        assert_eq!(
            output_drops.load(Ordering::SeqCst),
            1,
            "output drops (0: the task never ran, or its output leaked)"
        );
        assert!(scheduler.tasks.is_empty(), "the task is still registered");
        assert_eq!(scheduler.tasks.alive(), 0, "the task allocation leaked");
        assert!(sync::lock(&scheduler.queue).is_empty());
    });
}

/// The local executor shut down (`LocalExecutor::shutdown_now`, through
/// its `Drop`) while another thread spawns a task on it through its
/// `Handle` (`LocalSpawner`, `task::spawn_with`, `Tasks::register`) and a
/// third wakes a pending task (async-task's wake, `state::schedule`,
/// `LocalShared::schedule_remote`): the real executor, on a model reactor.
/// Every future is dropped exactly once: the pending task's, and the new
/// task's whether its spawn was accepted (the shutdown drops it) or refused
/// (`Error::Shutdown`, the rejected future dropped at once); and the
/// shutdown returns (no hang).
///
/// Catches: a shutdown that stops while a task it has seen registered is
/// still being queued by another thread (its wake or spawn got past the
/// registry and has not pushed yet): that task's runnable lands in the
/// remote queue after the last drain and its future is never dropped (the
/// queue, owned by the executor's shared state, and the task, which refers
/// to that state, keep each other alive). Also a registration that misses
/// the closed flag (spawn accepted after the shutdown's last look).
#[test]
fn loom_local_shutdown_vs_spawn_vs_wake() {
    // Unbounded, three threads through the whole executor take more than
    // ten minutes; four preemptions take about 12 000 executions (seconds).
    // The lost task this model found needs two. `LOOM_MAX_PREEMPTIONS`
    // overrides the bound.
    let mut model = loom::model::Builder::new();
    model.preemption_bound.get_or_insert(4);
    model.check(|| {
        let executor = LocalExecutor::new(ModelReactor::new());
        let handle = executor.handle().clone();
        // A task that keeps its waker where another thread can reach it,
        // and waits for ever.
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let (in_pending, pending_drops) = Tracked::new();
        let in_task = slot.clone();
        let pending = async move {
            let _held = in_pending;
            poll_fn(|cx| {
                *sync::lock(&in_task) = Some(cx.waker().clone());
                Poll::<()>::Pending
            })
            .await;
        };
        handle
            .spawner()
            .spawn_boxed(Box::pin(pending), SpawnOptions::here())
            .unwrap()
            .detach();
        // One turn, alone: the task runs and parks its waker.
        executor
            .block_on(baton_protocol::task::yield_now())
            .unwrap();
        let waker = sync::lock(&slot).take().expect("the task ran");

        let waking = thread::spawn(move || waker.wake());
        let (in_spawned, spawned_drops) = Tracked::new();
        // The executor's shared state is freed on this thread, after the
        // joins: its `std` reference count orders nothing loom can see.
        let keep = handle.clone();
        let spawning = thread::spawn(move || {
            let spawned = async move {
                let _held = in_spawned;
            };
            handle
                .spawner()
                .spawn_boxed(Box::pin(spawned), SpawnOptions::here())
                .map(|join| join.detach())
        });
        drop(executor);
        waking.join().unwrap();
        let spawned = spawning.join().unwrap();
        drop(keep);
        assert!(
            matches!(spawned, Ok(()) | Err(Error::Shutdown)),
            "{spawned:?}"
        );
        assert_eq!(
            pending_drops.load(Ordering::SeqCst),
            1,
            "the woken task's future"
        );
        assert_eq!(
            spawned_drops.load(Ordering::SeqCst),
            1,
            "the spawned future (spawn: {spawned:?})"
        );
    });
}
