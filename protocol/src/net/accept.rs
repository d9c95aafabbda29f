//! The listeners' accept path, with a back-off after resource exhaustion,
//! and their listen backlog.
//!
//! An `accept` that fails with `EMFILE`, `ENFILE`, `ENOBUFS` or `ENOMEM`
//! leaves the connection queued, so the listener stays readable; a caller
//! that simply accepts again gets the same error at once, and a plain
//! `loop { listener.accept().await }` spins at full CPU until a file
//! descriptor is freed. So the listener itself backs off: it returns the
//! error, then neither reports ready nor calls `accept(2)` again until a
//! reactor timer has passed. See [`MIN_ACCEPT_BACKOFF`] for the policy.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::io::Async;
use crate::reactor::wake_all;
use crate::time::Sleep;

/// The first pause of a listener after `accept` ran out of a resource
/// (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`).
///
/// # Notes
///
/// The policy: the listener returns the error, then waits this long on the
/// reactor's clock before it reports ready or calls `accept(2)` again. Each
/// further exhaustion error in a row doubles the pause, up to
/// [`MAX_ACCEPT_BACKOFF`]; a successful accept starts over from here. Other
/// errors (`ECONNABORTED`, for example) neither pause nor reset. So a server
/// out of file descriptors tries about once a second at worst, and picks
/// its queued connections up within the current pause once one is freed.
///
/// # Examples
///
/// An accept loop needs no pause of its own:
///
/// ```no_run
/// use baton_protocol::net::TcpListener;
///
/// # async fn demo() -> std::io::Result<()> {
/// let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
/// loop {
///     match listener.accept().await {
///         Ok((stream, _peer)) => drop(stream),
///         // After EMFILE the next accept waits MIN_ACCEPT_BACKOFF or more.
///         Err(e) => eprintln!("accept: {e}"),
///     }
/// }
/// # }
/// ```
pub const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(1);

/// The longest pause of a listener after repeated exhaustion errors; see
/// [`MIN_ACCEPT_BACKOFF`].
pub const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// The listen backlog of [`TcpListener::bind`](super::TcpListener::bind)
/// and [`UnixListener::bind`](super::UnixListener::bind): how many
/// connections the kernel queues while the listener does not accept (as
/// tokio and mio use; std's `TcpListener::bind` uses 128). Linux caps any
/// backlog silently at `/proc/sys/net/core/somaxconn` (4096 by default since
/// Linux 5.4).
///
/// # Examples
///
/// ```no_run
/// use baton_protocol::net::{DEFAULT_BACKLOG, TcpListener};
///
/// # fn demo() -> std::io::Result<()> {
/// // What `bind` does:
/// let listener = TcpListener::bind_with_backlog(([127, 0, 0, 1], 0), DEFAULT_BACKLOG)?;
/// # let _ = listener;
/// # Ok(()) }
/// ```
pub const DEFAULT_BACKLOG: u32 = 1024;

/// `backlog` as `listen(2)` takes it: larger values are capped by the
/// kernel anyway.
pub(crate) fn listen_backlog(backlog: u32) -> i32 {
    i32::try_from(backlog).unwrap_or(i32::MAX)
}

/// Whether an `accept` error says the process or system ran out of a
/// resource, leaving the connection queued.
fn is_exhaustion(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// The back-off state of one listener.
///
/// # Invariant
///
/// `pause` is `Some` from an exhaustion error until a poll finds its timer
/// fired; while it is, no poll calls `accept`. Every task that polled
/// during the pause has its waker in `waiters`, which the timer's waker
/// wakes (several tasks may accept on one listener: Decision 1).
#[derive(Debug)]
pub(crate) struct Backoff {
    state: Mutex<State>,
    waiters: Arc<Waiters>,
}

#[derive(Debug)]
struct State {
    /// The pause the next exhaustion error starts.
    next: Duration,
    pause: Option<Sleep>,
}

/// The wakers of the tasks waiting out a pause: the pause's timer holds a
/// waker over this list, so one timer wakes them all.
#[derive(Debug, Default)]
struct Waiters(Mutex<Vec<Waker>>);

impl Waiters {
    fn lock(&self) -> MutexGuard<'_, Vec<Waker>> {
        // Nothing panics while the lock is held.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `waker`. Equal wakers replace each other when `will_wake` can
    /// tell; when it cannot, the list holds a duplicate until the pause
    /// ends, which costs one spurious wake-up, never a lost one.
    fn add(&self, waker: &Waker) {
        let mut waiters = self.lock();
        match waiters.iter_mut().find(|w| w.will_wake(waker)) {
            Some(stored) => stored.clone_from(waker),
            None => waiters.push(waker.clone()),
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waiters = std::mem::take(&mut *self.lock());
        wake_all(waiters);
    }
}

impl Backoff {
    pub(crate) fn new() -> Backoff {
        Backoff {
            state: Mutex::new(State {
                next: MIN_ACCEPT_BACKOFF,
                pause: None,
            }),
            waiters: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One poll of an accept on `listener`: waits out a pause, then runs
    /// `accept` as a read-side operation, and starts a pause after an
    /// exhaustion error (which it still returns).
    ///
    /// # Return value
    ///
    /// As the listeners' `poll_accept`: `Pending` with the waker stored in
    /// the reactor, as a readiness waiter or as a waiter of the pause's
    /// timer.
    pub(crate) fn poll_accept<L, R>(
        &self,
        listener: &Async<L>,
        cx: &mut Context<'_>,
        mut accept: impl FnMut(&L) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        {
            let mut state = self.lock();
            if let Some(pause) = &mut state.pause {
                // Stored before the timer is polled, so a timer firing in
                // between still finds it.
                self.waiters.add(cx.waker());
                let timer_waker = Waker::from(Arc::clone(&self.waiters));
                match pause.poll_deadline(&mut Context::from_waker(&timer_waker)) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(())) => state.pause = None,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                }
            }
        }
        let result = std::task::ready!(listener.poll_read_with(cx, |l, _| accept(l)));
        let mut state = self.lock();
        match &result {
            Ok(_) => state.next = MIN_ACCEPT_BACKOFF,
            Err(e) if is_exhaustion(e) => {
                let pause = state.next;
                state.next = (pause * 2).min(MAX_ACCEPT_BACKOFF);
                state.pause = Some(Sleep::on(Arc::clone(listener.reactor()), pause));
            }
            Err(_) => {}
        }
        Poll::Ready(result)
    }
}
