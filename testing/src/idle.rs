//! The idle barrier: "run until every task is blocked", built on the
//! protocol's `runtime_idle` flag of [`Reactor::park`].
//!
//! An executor calls `park(_, runtime_idle: true)` only when no task is
//! runnable on any of its workers. A decorator that sees such a park, with
//! nothing ready in the OS and no timer due, knows that every task of the
//! runtime is blocked at that instant; it then wakes the futures returned by
//! `until_idle()` instead of sleeping. [`VirtualTime`](crate::VirtualTime)
//! and [`Chaos`](crate::Chaos) have it built in; [`IdleProbe`] adds it, and
//! nothing else, to any reactor.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::Turn;
use baton_protocol::{Error, Handle, Reactor};

/// While something waits for the runtime to become idle (a future waiting
/// for the barrier, virtual timers waiting to jump), a park on a runtime
/// that is not idle returns within this much real time, so the executor
/// parks again and says whether it is idle now: an executor whose last busy
/// worker went to sleep meanwhile may not tell the thread parked in the
/// reactor.
pub(crate) const RECHECK: Duration = Duration::from_millis(5);

/// The futures waiting for the next idle park of one reactor.
#[derive(Debug, Default)]
pub(crate) struct IdleWaiters {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Idle parks that released at least one waiter.
    epoch: u64,
    next_id: u64,
    waiting: Vec<(u64, Waker)>,
    shutdown: bool,
}

impl IdleWaiters {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Wakers are woken outside the lock; nothing else can panic under it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a future waits for the next idle park.
    pub(crate) fn has_waiters(&self) -> bool {
        !self.lock().waiting.is_empty()
    }

    /// `timeout`, bounded by [`RECHECK`] when a future waits for the
    /// barrier and the runtime is not idle.
    pub(crate) fn bound(&self, timeout: Option<Duration>, runtime_idle: bool) -> Option<Duration> {
        if runtime_idle || !self.has_waiters() {
            return timeout;
        }
        Some(timeout.map_or(RECHECK, |t| t.min(RECHECK)))
    }

    /// The runtime is idle: wakes every waiting future (outside the lock).
    ///
    /// # Return value
    ///
    /// How many futures were woken.
    pub(crate) fn notify(&self) -> usize {
        let waiting = {
            let mut state = self.lock();
            if state.waiting.is_empty() {
                return 0;
            }
            state.epoch += 1;
            std::mem::take(&mut state.waiting)
        };
        let woken = waiting.len();
        for (_, waker) in waiting {
            waker.wake();
        }
        woken
    }

    /// The reactor shut down: waiting futures wake and see
    /// [`Error::Shutdown`], as will later ones.
    pub(crate) fn shutdown(&self) {
        let waiting = {
            let mut state = self.lock();
            state.shutdown = true;
            std::mem::take(&mut state.waiting)
        };
        for (_, waker) in waiting {
            waker.wake();
        }
    }
}

/// Waits until every task of the runtime is blocked; returned by
/// `until_idle()` of [`IdleProbe`], [`VirtualTime`](crate::VirtualTime) and
/// [`Chaos`](crate::Chaos).
///
/// # Return value
///
/// `Ok(())` once the executor parked the reactor with `runtime_idle = true`
/// after this future's first poll, while no I/O was ready and no timer was
/// due: at that instant, every other task of the runtime was waiting on
/// something outside it (I/O, a timer not yet due, a Promise nobody will
/// complete). Under [`VirtualTime`](crate::VirtualTime), the barrier comes
/// before the clock jumps: the tasks are blocked, and virtual time has not
/// moved to the next deadline yet.
///
/// The barrier tells about one instant: tasks woken afterwards (by I/O that
/// arrives, a timer, another thread) run again.
///
/// # Errors
///
/// [`Error::Shutdown`] once the reactor has shut down.
///
/// # Implementation notes
///
/// The future relies on the executor's `runtime_idle` flag: an executor that
/// never parks with it set (one with a task that is always runnable) never
/// releases the barrier. While it waits, parks of a runtime that is not
/// idle return within a few milliseconds, so that the executor parks again
/// and says whether it has become idle; its first poll unparks the current
/// runtime's reactor for the same reason.
#[must_use = "futures do nothing unless awaited"]
pub struct UntilIdle {
    waiters: Arc<IdleWaiters>,
    /// Our id and the epoch we registered in, once polled.
    registered: Option<(u64, u64)>,
}

impl UntilIdle {
    pub(crate) fn new(waiters: Arc<IdleWaiters>) -> UntilIdle {
        UntilIdle {
            waiters,
            registered: None,
        }
    }
}

impl Future for UntilIdle {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut state = this.waiters.lock();
        if state.shutdown {
            return Poll::Ready(Err(Error::Shutdown));
        }
        match this.registered {
            None => {
                let id = state.next_id;
                state.next_id += 1;
                state.waiting.push((id, cx.waker().clone()));
                this.registered = Some((id, state.epoch));
                drop(state);
                // A thread may be parked in the reactor, unbounded, since
                // before there was a barrier to release: have it park again,
                // bounded (see `RECHECK`).
                if let Some(handle) = Handle::try_current() {
                    handle.reactor().unpark();
                }
                Poll::Pending
            }
            Some((id, epoch)) => {
                let epoch_moved = state.epoch > epoch;
                let entry = state.waiting.iter_mut().find(|(i, _)| *i == id);
                match entry {
                    Some((_, waker)) => {
                        waker.clone_from(cx.waker());
                        Poll::Pending
                    }
                    // Only `notify` takes entries out; it bumped the epoch.
                    None if epoch_moved => Poll::Ready(Ok(())),
                    None => {
                        state.waiting.push((id, cx.waker().clone()));
                        Poll::Pending
                    }
                }
            }
        }
    }
}

impl Drop for UntilIdle {
    fn drop(&mut self) {
        if let Some((id, _)) = self.registered {
            self.waiters.lock().waiting.retain(|(i, _)| *i != id);
        }
    }
}

impl fmt::Debug for UntilIdle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntilIdle")
            .field("registered", &self.registered.is_some())
            .finish_non_exhaustive()
    }
}

/// A reactor decorator that adds the idle barrier ([`until_idle`]) to any
/// reactor, and changes nothing else.
///
/// [`until_idle`]: IdleProbe::until_idle
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use baton_reactor_epoll::EpollReactor;
/// use baton_testing::IdleProbe;
///
/// let probe = Arc::new(IdleProbe::new(EpollReactor::new()?));
/// let idle = probe.until_idle();
/// // Hand `Arc::clone(&probe)` to the executor as its reactor, spawn tasks,
/// // then `idle.await?` in the test body: it resolves once they all wait.
/// # drop(idle);
/// # Ok::<(), baton_protocol::Error>(())
/// ```
pub struct IdleProbe<R> {
    inner: R,
    waiters: Arc<IdleWaiters>,
}

impl<R: Reactor> IdleProbe<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> IdleProbe<R> {
        IdleProbe {
            inner,
            waiters: Arc::default(),
        }
    }

    /// A future that resolves once every task of the runtime is blocked;
    /// see [`UntilIdle`].
    pub fn until_idle(&self) -> UntilIdle {
        UntilIdle::new(Arc::clone(&self.waiters))
    }

    /// The wrapped reactor.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Reactor> Decorator for IdleProbe<R> {
    type Inner = R;

    fn inner(&self) -> &R {
        &self.inner
    }

    /// On an idle runtime with barrier waiters: collects what is ready
    /// without waiting, and releases the barrier if that was nothing.
    fn park(&self, timeout: Option<Duration>, runtime_idle: bool) -> Result<Turn, Error> {
        if !(runtime_idle && self.waiters.has_waiters()) {
            let timeout = self.waiters.bound(timeout, runtime_idle);
            return self.inner.park(timeout, runtime_idle);
        }
        let turn = self.inner.park(Some(Duration::ZERO), runtime_idle)?;
        if !turn.is_empty() {
            return Ok(turn);
        }
        let released = self.waiters.notify() > 0;
        Ok(Turn::new(0, 0, released))
    }

    fn shutdown(&self) {
        self.waiters.shutdown();
        self.inner.shutdown();
    }
}

impl<R> fmt::Debug for IdleProbe<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdleProbe").finish_non_exhaustive()
    }
}
