//! Helpers shared by the protocol's tests: an inert reactor, a turn-by-turn
//! test executor, a thread-parking `block_on`, and counting helpers.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the helpers"
)]

mod executor;
mod reactor;

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

#[allow(
    unused_imports,
    reason = "each test file uses a different part of the helpers"
)]
pub(crate) use executor::{TestExecutor, TestRuntime};
pub(crate) use reactor::InertReactor;

/// How long a test may block before it is declared hung: a generous guard,
/// not a timing assertion.
pub(crate) const HANG_GUARD: Duration = Duration::from_secs(10);

/// Runs `future` (anything awaitable) to completion on this thread, parking between polls.
///
/// # Panics
///
/// If the future is still pending after [`HANG_GUARD`].
pub(crate) fn block_on<F: IntoFuture>(future: F) -> F::Output {
    struct Unparker(Thread);
    impl Wake for Unparker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future.into_future());
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let now = Instant::now();
        assert!(
            now < deadline,
            "block_on: still pending after {HANG_GUARD:?}"
        );
        thread::park_timeout(deadline - now);
    }
}

/// A waker that counts its wake-ups; `Arc::strong_count` of the counter
/// tells how many clones of the waker are alive.
#[derive(Default)]
pub(crate) struct WakeCounter {
    wakes: AtomicUsize,
}

impl WakeCounter {
    /// A counter and a waker feeding it.
    pub(crate) fn new() -> (Arc<WakeCounter>, Waker) {
        let counter = Arc::new(WakeCounter::default());
        let waker = Waker::from(Arc::clone(&counter));
        (counter, waker)
    }

    pub(crate) fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts how many of the values it hands out were dropped.
#[derive(Clone, Default)]
pub(crate) struct DropCounter {
    drops: Arc<AtomicUsize>,
}

impl DropCounter {
    /// A value whose drop is counted.
    pub(crate) fn token(&self) -> DropToken {
        DropToken {
            drops: Arc::clone(&self.drops),
        }
    }

    pub(crate) fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }
}

/// Increments its [`DropCounter`] when dropped.
pub(crate) struct DropToken {
    drops: Arc<AtomicUsize>,
}

impl Drop for DropToken {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// Records the order in which numbered events happen, from any thread.
#[derive(Clone, Default)]
pub(crate) struct Log {
    entries: Arc<std::sync::Mutex<Vec<u32>>>,
}

impl Log {
    pub(crate) fn push(&self, entry: u32) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(entry);
    }

    pub(crate) fn entries(&self) -> Vec<u32> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
