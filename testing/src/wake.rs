//! `CountingWaker`: a waker that counts how often it was woken.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Wake, Waker};

/// A [`Waker`] that counts its wake-ups (by value and by reference, through
/// any clone) and does nothing else.
///
/// Use it to poll a future by hand and check exactly how many wake-ups it
/// asked for, as futures-test's `new_count_waker`.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll};
/// use baton_testing::CountingWaker;
///
/// let counter = CountingWaker::new();
/// let waker = counter.waker();
/// let mut cx = Context::from_waker(&waker);
///
/// // A future that wakes itself once before it is ready.
/// let mut fut = pin!(baton_testing::future::pending_once(async { 7 }));
/// assert_eq!(fut.as_mut().poll(&mut cx), Poll::Pending);
/// assert_eq!(counter.count(), 1);
/// assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(7));
/// assert_eq!(counter.count(), 1);
/// ```
#[derive(Clone, Default)]
pub struct CountingWaker {
    count: Arc<Count>,
}

#[derive(Default)]
struct Count {
    wakes: AtomicUsize,
}

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    /// A counter at zero.
    pub fn new() -> CountingWaker {
        CountingWaker::default()
    }

    /// A waker whose wake-ups (and those of its clones) this counter counts.
    pub fn waker(&self) -> Waker {
        Waker::from(Arc::clone(&self.count))
    }

    /// Wake-ups so far.
    pub fn count(&self) -> usize {
        self.count.wakes.load(Ordering::SeqCst)
    }

    /// Returns the wake-ups so far and resets the count to zero.
    pub fn take(&self) -> usize {
        self.count.wakes.swap(0, Ordering::SeqCst)
    }
}

impl fmt::Debug for CountingWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountingWaker")
            .field("count", &self.count())
            .finish()
    }
}
