//! A tiny single-thread runtime for the leaf-future tests (`time_*`, `io_*`,
//! `net_*`): a real reactor (`baton-reactor-epoll`) entered through a
//! [`Handle`], a `block_on` that parks in that reactor, and a fault-injecting
//! reactor decorator.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helper"
)]

pub(crate) mod fault;

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions};
use baton_protocol::{Error, Handle, Reactor, Spawn, coop};
use baton_reactor_epoll::EpollReactor;

/// How long one `block_on` may run before the test is declared hung: a
/// generous guard, not a timing assertion.
pub(crate) const HANG_GUARD: Duration = Duration::from_secs(20);

/// A spawner for runtimes that run a single future: spawning is refused.
struct NoSpawn;

impl Spawn for NoSpawn {
    fn spawn_erased(
        &self,
        _future: BoxErased,
        _options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        Err(Error::Unsupported(
            "the leaf-future test runtime runs one future",
        ))
    }

    fn alive_tasks(&self) -> usize {
        0
    }
}

/// Wakes the `block_on` thread: sets a flag, and unparks the reactor when
/// woken from another thread (on the loop thread, the flag is enough).
struct Signal {
    woken: AtomicBool,
    wakes: AtomicUsize,
    owner: ThreadId,
    reactor: Weak<dyn Reactor>,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::Relaxed);
        self.woken.store(true, Ordering::Release);
        if thread::current().id() != self.owner
            && let Some(reactor) = self.reactor.upgrade()
        {
            reactor.unpark();
        }
    }
}

/// A reactor, a handle over it, and counters of what `block_on` did.
pub(crate) struct Rt {
    reactor: Arc<dyn Reactor>,
    handle: Handle,
    polls: Cell<usize>,
    turns: Cell<usize>,
    wakes: Cell<usize>,
}

impl Rt {
    /// A runtime on a fresh epoll reactor.
    pub(crate) fn new() -> Rt {
        Rt::with_reactor(Arc::new(
            EpollReactor::new().expect("create the epoll reactor"),
        ))
    }

    /// A runtime on `reactor` (a decorator, for example).
    pub(crate) fn with_reactor(reactor: Arc<dyn Reactor>) -> Rt {
        let handle = Handle::new(Arc::clone(&reactor), Arc::new(NoSpawn));
        Rt {
            reactor,
            handle,
            polls: Cell::new(0),
            turns: Cell::new(0),
            wakes: Cell::new(0),
        }
    }

    /// The reactor.
    pub(crate) fn reactor(&self) -> &Arc<dyn Reactor> {
        &self.reactor
    }

    /// The handle that `block_on` enters.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Polls of the root future by `block_on` so far.
    pub(crate) fn polls(&self) -> usize {
        self.polls.get()
    }

    /// Reactor turns (`park` calls) by `block_on` so far.
    pub(crate) fn turns(&self) -> usize {
        self.turns.get()
    }

    /// Wake-ups of the root future's waker so far.
    pub(crate) fn wakes(&self) -> usize {
        self.wakes.get()
    }

    /// Runs `future` to completion on this thread, with the runtime entered
    /// and a fresh cooperative budget per poll; between polls, parks in the
    /// reactor (for zero time when the future woke itself).
    ///
    /// # Panics
    ///
    /// If the future is still pending after [`HANG_GUARD`], or `park` fails
    /// and a last poll does not finish the future.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        let signal = Arc::new(Signal {
            woken: AtomicBool::new(false),
            wakes: AtomicUsize::new(0),
            owner: thread::current().id(),
            reactor: Arc::downgrade(&self.reactor),
        });
        let waker = Waker::from(Arc::clone(&signal));
        let mut cx = Context::from_waker(&waker);
        let _enter = self.handle.enter();
        let mut future = pin!(future);
        let guard = Instant::now() + HANG_GUARD;
        let output = loop {
            self.polls.set(self.polls.get() + 1);
            let poll = coop::with_budget(coop::DEFAULT_BUDGET, || future.as_mut().poll(&mut cx));
            if let Poll::Ready(output) = poll {
                break output;
            }
            loop {
                let now = Instant::now();
                assert!(now < guard, "block_on: still pending after {HANG_GUARD:?}");
                let self_woken = signal.woken.swap(false, Ordering::AcqRel);
                let timeout = if self_woken {
                    Duration::ZERO
                } else {
                    guard - now
                };
                self.turns.set(self.turns.get() + 1);
                if let Err(e) = self.reactor.park(Some(timeout), !self_woken) {
                    let last =
                        coop::with_budget(coop::DEFAULT_BUDGET, || future.as_mut().poll(&mut cx));
                    match last {
                        Poll::Ready(output) => {
                            self.wakes
                                .set(self.wakes.get() + signal.wakes.load(Ordering::Relaxed));
                            return output;
                        }
                        Poll::Pending => {
                            panic!("block_on: park failed ({e}) and the future is pending")
                        }
                    }
                }
                if self_woken || signal.woken.swap(false, Ordering::AcqRel) {
                    break;
                }
            }
        };
        self.wakes
            .set(self.wakes.get() + signal.wakes.load(Ordering::Relaxed));
        output
    }
}

/// Polls `future` once, inside `rt`'s runtime, with a waker that does
/// nothing: for checks of what a single poll does.
pub(crate) fn poll_once<F: Future + Unpin>(rt: &Rt, future: &mut F) -> Poll<F::Output> {
    let _enter = rt.handle().enter();
    let mut cx = Context::from_waker(Waker::noop());
    std::pin::Pin::new(future).poll(&mut cx)
}

/// A future that wakes itself and returns `Pending` `n` times, then
/// completes: a busy task that yields.
pub(crate) async fn yield_times(n: usize) {
    for _ in 0..n {
        baton_protocol::task::yield_now().await;
    }
}
