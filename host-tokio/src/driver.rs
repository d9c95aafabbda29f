//! The guest reactor's turns, run by tokio.
//!
//! The reactor's poller fd is watched with tokio's `AsyncFd`, polled with a
//! waker of its own (the [`Turner`]): when tokio's I/O driver finds the fd
//! readable it calls that waker, which runs the non-blocking
//! [`park`](Reactor::park) right there, so the tasks the turn wakes are
//! woken by the I/O driver's thread as tokio wakes its own sockets' tasks,
//! with no task of the host's scheduled and polled in between. The nearest
//! timer deadline is kept by the driver task, with a tokio sleep, and a turn
//! due at once runs after the tasks already queued. Either way one turn
//! dispatches what is ready and fires what is due, by the reactor's own
//! tables and clock: tokio decides only *when* to look, never *what* fires,
//! so timers are never early and equal deadlines keep their order whatever
//! tokio's timer does.

use std::future::{Future, poll_fn};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_protocol::{Error, Reactor};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::time::Sleep;

use baton_reactor_kit::HostState;

/// The reactor's guest fd, as tokio's `AsyncFd` wants it.
///
/// # Invariant
///
/// The reactor has a guest fd (checked by [`watch`], the only maker), and
/// it is open and the same for the reactor's whole life
/// ([`Reactor::guest_fd`]'s contract); the reactor lives at least as long
/// as this value, which holds it.
pub(crate) struct GuestFd(pub(crate) Arc<dyn Reactor>);

impl AsRawFd for GuestFd {
    fn as_raw_fd(&self) -> RawFd {
        // Checked non-`None` before the `AsyncFd` is made; the reactor
        // returns the same fd for its whole life.
        self.0.guest_fd().map_or(-1, |fd| fd.as_raw_fd())
    }
}

/// [`Turner::flags`]: a thread is running turns (the others leave them to
/// it).
const RUNNING: u8 = 1;
/// [`Turner::flags`]: while [`RUNNING`], another kick asked to look at the
/// fd's readiness again.
const AGAIN: u8 = 2;
/// [`Turner::flags`]: while [`RUNNING`], another kick asked for one more
/// turn whatever the fd says (a timer fell due).
const FORCE: u8 = 4;

/// Runs the reactor's turns for whoever asks ([`kick`](Turner::kick)): its
/// own waker, which tokio's I/O driver calls when the guest fd turns
/// readable, and the driver task, for timers.
///
/// One thread at a time runs turns; a kick arriving meanwhile is left to
/// that thread (the `AGAIN` and `FORCE` flags), which looks at the fd again
/// before it lets go, so no readiness is lost between its last look and its
/// release.
///
/// Its waker is stored in tokio's registration of the fd while it waits,
/// which keeps it alive: the runtime's I/O driver drops it at shutdown,
/// after waking it with the shutdown error, and a turn that finds the
/// reactor shut down stores it no more.
pub(crate) struct Turner {
    fd: AsyncFd<GuestFd>,
    flags: AtomicU8,
    /// What the driver task waits for.
    timer: Mutex<Timer>,
}

/// What the turns tell the driver task.
#[derive(Default)]
struct Timer {
    /// The reactor's nearest deadline, from the last turn's `guest_wait`.
    deadline: Option<Instant>,
    /// The reactor (or tokio's I/O driver) has shut down: no more turns.
    done: bool,
    /// The driver task, to wake when `deadline` moved earlier or `done`.
    task: Option<Waker>,
}

impl Turner {
    /// A turner over the watched fd.
    pub(crate) fn new(fd: AsyncFd<GuestFd>) -> Arc<Turner> {
        Arc::new(Turner {
            fd,
            flags: AtomicU8::new(0),
            timer: Mutex::new(Timer::default()),
        })
    }

    fn reactor(&self) -> &dyn Reactor {
        &*self.fd.get_ref().0
    }

    fn timer(&self) -> MutexGuard<'_, Timer> {
        self.timer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs turns while the fd is readable (and one anyway if `force`),
    /// then leaves tokio this turner's waker, to be kicked again when the
    /// fd next turns readable. If another thread is running turns, leaves
    /// the work to it.
    fn kick(self: &Arc<Self>, force: bool) {
        let mine = if force { AGAIN | FORCE } else { AGAIN };
        let mut flags = self.flags.load(Ordering::Acquire);
        loop {
            let next = if flags & RUNNING != 0 {
                flags | mine
            } else {
                RUNNING
            };
            match self
                .flags
                .compare_exchange_weak(flags, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if flags & RUNNING != 0 => return,
                Ok(_) => break,
                Err(now) => flags = now,
            }
        }
        let waker = Waker::from(Arc::clone(self));
        let mut cx = Context::from_waker(&waker);
        let mut turn = force;
        loop {
            match self.fd.poll_read_ready(&mut cx) {
                // Cleared before the turn: what turns the fd readable during
                // it sets the readiness again (tokio's tick keeps a newer
                // event from being cleared).
                Poll::Ready(Ok(mut guard)) => {
                    guard.clear_ready();
                    turn = true;
                }
                // tokio's I/O driver shut down: the runtime is going.
                Poll::Ready(Err(_)) => return self.done(),
                Poll::Pending => {}
            }
            if turn {
                turn = false;
                if !self.turn() {
                    return self.done();
                }
                continue;
            }
            // Nothing to do: let go, unless a kick came meanwhile.
            match self
                .flags
                .compare_exchange(RUNNING, 0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(flags) => {
                    turn = flags & FORCE != 0;
                    self.flags.store(RUNNING, Ordering::Release);
                }
            }
        }
    }

    /// One non-blocking turn, then the deadline for the driver task; `false`
    /// once the reactor has shut down.
    fn turn(&self) -> bool {
        let reactor = self.reactor();
        if reactor.park(Some(Duration::ZERO), false).is_err() {
            return false;
        }
        let Ok(deadline) = reactor.guest_wait() else {
            return false;
        };
        let mut timer = self.timer();
        if timer.deadline == deadline {
            return true;
        }
        // A later deadline (or none) needs no wake-up: the task's sleep
        // then ends early, in a spurious turn, and it sleeps again.
        let earlier = match (timer.deadline, deadline) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(old), Some(new)) => new < old,
        };
        timer.deadline = deadline;
        let task = if earlier { timer.task.clone() } else { None };
        drop(timer);
        if let Some(task) = task {
            task.wake();
        }
        true
    }

    /// No more turns: this turner keeps `RUNNING` for ever, so later kicks
    /// return at once, and the driver task ends.
    fn done(&self) {
        let task = {
            let mut timer = self.timer();
            timer.done = true;
            timer.task.take()
        };
        if let Some(task) = task {
            task.wake();
        }
    }
}

impl Wake for Turner {
    fn wake(self: Arc<Self>) {
        self.kick(false);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.kick(false);
    }
}

/// Stops the host when the driver task is dropped: by the runtime's
/// shutdown, or at the end of the loop.
struct StopOnDrop(Arc<HostState>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Why the driver task woke.
enum Woke {
    /// The deadline came (or went: a spurious turn is harmless).
    Timer,
    /// The deadline is already past: a turn after the tasks already queued.
    Due,
    /// No more turns.
    Done,
}

/// Runs the first turn (which hands tokio the turner's waker), then the
/// turns the reactor's timers ask for, until the reactor shuts down or the
/// runtime drops this task.
pub(crate) async fn drive(turner: Arc<Turner>, state: Arc<HostState>) {
    let _stop = StopOnDrop(state);
    // Made at the first deadline: a runtime without time enabled panics
    // only once a protocol timer is used.
    let mut sleep = pin!(None::<Sleep>);
    let mut armed = None;
    loop {
        turner.kick(true);
        let woke = poll_fn(|cx| {
            let mut timer = turner.timer();
            if timer.done {
                return Poll::Ready(Woke::Done);
            }
            if !timer
                .task
                .as_ref()
                .is_some_and(|task| task.will_wake(cx.waker()))
            {
                timer.task = Some(cx.waker().clone());
            }
            let Some(deadline) = timer.deadline else {
                return Poll::Pending;
            };
            drop(timer);
            if deadline <= Instant::now() {
                return Poll::Ready(Woke::Due);
            }
            if armed != Some(deadline) {
                armed = Some(deadline);
                match sleep.as_mut().as_pin_mut() {
                    Some(sleep) => sleep.reset(deadline.into()),
                    None => sleep.set(Some(tokio::time::sleep_until(deadline.into()))),
                }
            }
            match sleep.as_mut().as_pin_mut().map(|sleep| sleep.poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(Woke::Timer),
                _ => Poll::Pending,
            }
        })
        .await;
        match woke {
            Woke::Done => return,
            // A reactor that keeps something due (a decorator's held-back
            // wake-up) cannot starve the tasks queued.
            Woke::Due => tokio::task::yield_now().await,
            // Armed again at the next deadline, even the same one.
            Woke::Timer => armed = None,
        }
    }
}

/// Registers the reactor's guest fd with tokio's reactor.
///
/// # Errors
///
/// [`Error::Unsupported`] if the reactor has no guest fd; [`Error::Io`]
/// if tokio refuses it (called outside a runtime with I/O enabled).
pub(crate) fn watch(reactor: Arc<dyn Reactor>) -> Result<AsyncFd<GuestFd>, Error> {
    if reactor.guest_fd().is_none() {
        return Err(Error::Unsupported(
            "this reactor has no fd a host can watch (poll(2), or virtual time)",
        ));
    }
    // SAFETY: `GuestFd`'s invariant: its fd is open, names the same file
    // and is the same number for as long as the value (which owns the
    // reactor) lives, so for the `AsyncFd`'s whole life.
    unsafe { AsyncFd::register_with_interest(GuestFd(reactor), Interest::READABLE) }
        .map_err(|e| Error::Io(e.into()))
}
