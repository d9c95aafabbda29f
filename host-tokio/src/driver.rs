//! The driver task: the guest reactor's turns, run by tokio.
//!
//! The reactor's poller fd is watched with tokio's `AsyncFd`; the nearest
//! timer deadline with a tokio sleep. Whenever either fires, one
//! non-blocking [`park`](Reactor::park) dispatches what is ready and fires
//! what is due, by the reactor's own tables and clock: tokio decides only
//! *when* to look, never *what* fires, so timers are never early and equal
//! deadlines keep their order whatever tokio's timer does.

use std::future::Future;
use std::future::poll_fn;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use baton_protocol::{Error, Reactor};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

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

/// Stops the host when the driver task is dropped: by the runtime's
/// shutdown, or at the end of the loop.
struct StopOnDrop(Arc<HostState>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Runs the reactor's turns until the reactor shuts down or the runtime
/// drops this task.
pub(crate) async fn drive(fd: AsyncFd<GuestFd>, state: Arc<HostState>) {
    let _stop = StopOnDrop(state);
    let reactor = Arc::clone(&fd.get_ref().0);
    loop {
        if reactor.park(Some(Duration::ZERO), false).is_err() {
            return;
        }
        let deadline = match reactor.guest_wait() {
            Ok(deadline) => deadline,
            Err(_) => return,
        };
        if deadline.is_some_and(|d| d <= Instant::now()) {
            // Work is due at once (a timer, or a decorator's held-back
            // wake-up): run the turn after the tasks already queued, so a
            // reactor that keeps something due cannot starve them.
            tokio::task::yield_now().await;
            continue;
        }
        let mut sleep = pin!(deadline.map(|d| tokio::time::sleep_until(d.into())));
        let woke = poll_fn(|cx| {
            if let Poll::Ready(guard) = fd.poll_read_ready(cx) {
                return Poll::Ready(guard.map(|mut guard| guard.clear_ready()));
            }
            match sleep.as_mut().as_pin_mut().map(|sleep| sleep.poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(Ok(())),
                _ => Poll::Pending,
            }
        })
        .await;
        if woke.is_err() {
            return;
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
