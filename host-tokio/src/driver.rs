//! The guest reactor's turns, run by tokio.
//!
//! The reactor's poller fd is watched with tokio's `AsyncFd`, polled with a
//! waker of its own (reactor-kit's `GuestTurns`): when tokio's I/O driver finds the fd
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

use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use baton_protocol::{Error, Reactor};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::time::Sleep;

use baton_reactor_kit::{GuestFdWatch, GuestTurns, HostState, HostTimer};

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

/// tokio's watch of the guest fd: its `AsyncFd`, readiness cleared as it
/// is consumed.
pub(crate) struct TokioWatch(AsyncFd<GuestFd>);

impl TokioWatch {
    /// The watch of the registered fd.
    pub(crate) fn new(fd: AsyncFd<GuestFd>) -> Arc<GuestTurns<TokioWatch>> {
        GuestTurns::new(TokioWatch(fd))
    }
}

impl GuestFdWatch for TokioWatch {
    fn reactor(&self) -> &dyn Reactor {
        &*self.0.get_ref().0
    }

    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Cleared as consumed: tokio's tick keeps an event newer than the
        // one seen here from being cleared.
        self.0
            .poll_read_ready(cx)
            .map(|ready| ready.map(|mut guard| guard.clear_ready()))
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

/// tokio's `Sleep` as the driver task's timer, made at the first deadline:
/// a runtime without time enabled panics only once a protocol timer is
/// used.
struct TokioTimer(Option<Pin<Box<Sleep>>>);

impl HostTimer for TokioTimer {
    fn arm(mut self: Pin<&mut Self>, deadline: Instant) {
        match &mut self.0 {
            Some(sleep) => sleep.as_mut().reset(deadline.into()),
            None => self.0 = Some(Box::pin(tokio::time::sleep_until(deadline.into()))),
        }
    }

    fn poll_fired(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.0 {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

/// Runs the first turn (which hands tokio the turner's waker), then the
/// turns the reactor's timers ask for, until the reactor shuts down or the
/// runtime drops this task.
pub(crate) async fn drive(turns: Arc<GuestTurns<TokioWatch>>, state: Arc<HostState>) {
    let _stop = StopOnDrop(state);
    turns.drive(TokioTimer(None), tokio::task::yield_now).await;
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
