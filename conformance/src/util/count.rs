//! Counters that let cases assert exact numbers: wake-ups, drops, polls.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// A waker that counts how often it was woken.
#[derive(Debug, Default)]
pub struct WakeCount {
    wakes: AtomicUsize,
}

impl WakeCount {
    /// A new counter, shared.
    pub fn new() -> Arc<WakeCount> {
        Arc::new(WakeCount::default())
    }

    /// A waker that counts into this counter.
    pub fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }

    /// Wake-ups so far.
    pub fn count(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }

    /// Wake-ups so far, resetting the count to zero.
    pub fn take(&self) -> usize {
        self.wakes.swap(0, Ordering::SeqCst)
    }
}

impl Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts drops of [`Tracked`] values.
#[derive(Debug, Default)]
pub struct DropCount {
    drops: AtomicUsize,
}

impl DropCount {
    /// A new counter, shared.
    pub fn new() -> Arc<DropCount> {
        Arc::new(DropCount::default())
    }

    /// A value whose drop this counter counts.
    pub fn track<T>(self: &Arc<Self>, value: T) -> Tracked<T> {
        Tracked {
            value,
            counter: Arc::clone(self),
        }
    }

    /// Drops so far.
    pub fn count(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }
}

/// A value that reports its drop to a [`DropCount`]; a future if `T` is one.
#[derive(Debug)]
pub struct Tracked<T> {
    value: T,
    counter: Arc<DropCount>,
}

impl<T> Tracked<T> {
    /// The tracked value.
    pub fn get(&self) -> &T {
        &self.value
    }
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        self.counter.drops.fetch_add(1, Ordering::SeqCst);
    }
}

impl<F: Future + Unpin> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.value).poll(cx)
    }
}

/// Wraps a future and counts its polls.
#[derive(Debug)]
pub struct PollCount<F> {
    future: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> PollCount<F> {
    /// Wraps `future`; the returned counter sees every poll.
    pub fn new(future: F) -> (Self, Arc<AtomicUsize>) {
        let polls = Arc::new(AtomicUsize::new(0));
        (
            PollCount {
                future: Box::pin(future),
                polls: Arc::clone(&polls),
            },
            polls,
        )
    }
}

impl<F: Future> Future for PollCount<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.future.as_mut().poll(cx)
    }
}

/// Records the order in which its wakers are woken: each waker carries an id.
#[derive(Debug, Default)]
pub struct WakeLog {
    order: std::sync::Mutex<Vec<usize>>,
}

struct LogWaker {
    log: Arc<WakeLog>,
    id: usize,
}

impl Wake for LogWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.log
            .order
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(self.id);
    }
}

impl WakeLog {
    /// A new log, shared.
    pub fn new() -> Arc<WakeLog> {
        Arc::new(WakeLog::default())
    }

    /// A waker that logs `id` each time it is woken.
    pub fn waker(self: &Arc<Self>, id: usize) -> Waker {
        Waker::from(Arc::new(LogWaker {
            log: Arc::clone(self),
            id,
        }))
    }

    /// The ids woken so far, in order.
    pub fn order(&self) -> Vec<usize> {
        self.order
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
