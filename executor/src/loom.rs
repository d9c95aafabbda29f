//! Loom models of the hand-offs where a wake-up could be lost: the parker
//! (condvar and reactor sides), the idle-worker bookkeeping against a
//! submitter, and the local executor's remote queue against its owner.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p baton-executor --release --lib loom`.

use std::os::fd::RawFd;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_protocol::reactor::{Direction, Interest, ReactorStats, SourceKey, Tick, TimerKey, Turn};
use baton_protocol::{Error, Reactor};
use concurrent_queue::ConcurrentQueue;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::park::{Driver, Parker};
use crate::runtime::Idle;
use crate::sync::{self, Condvar, Mutex};

/// A reactor whose `park` sleeps until `unpark`: the one behaviour the
/// hand-offs rely on, with loom primitives.
struct ModelReactor {
    unparked: Mutex<bool>,
    condvar: Condvar,
}

impl ModelReactor {
    fn shared() -> Arc<dyn Reactor> {
        Arc::new(ModelReactor {
            unparked: Mutex::new(false),
            condvar: Condvar::new(),
        })
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
