//! The driver task: the guest reactor's turns, run by smol.
//!
//! The reactor's poller fd is watched with async-io's `Async`; the nearest
//! timer deadline with an async-io `Timer`. Whenever either fires, one
//! non-blocking [`park`](Reactor::park) dispatches what is ready and fires
//! what is due, by the reactor's own tables and clock: smol decides only
//! *when* to look, never *what* fires.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_io::{Async, Timer};
use baton_protocol::{Error, Reactor};

use baton_reactor_kit::HostState;

/// The reactor's guest fd, as async-io's `Async` wants it.
///
/// # Invariant
///
/// The reactor has a guest fd (checked by [`watch`], the only maker); it
/// is the same, and open, for the reactor's whole life
/// ([`Reactor::guest_fd`]'s contract), and this value holds the reactor.
pub(crate) struct GuestFd(Arc<dyn Reactor>);

impl AsFd for GuestFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0
            .guest_fd()
            .expect("checked when the GuestFd was made")
    }
}

/// Stops the host when the driver task is dropped: with the executor, or
/// at the end of the loop.
struct StopOnDrop(Arc<HostState>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        crate::blocking::stop(&self.0);
        self.0.stop();
    }
}

/// Registers the reactor's guest fd with async-io's reactor.
///
/// # Errors
///
/// [`Error::Unsupported`] if the reactor has no guest fd; [`Error::Io`] if
/// async-io refuses it.
pub(crate) fn watch(reactor: Arc<dyn Reactor>) -> Result<Async<GuestFd>, Error> {
    if reactor.guest_fd().is_none() {
        return Err(Error::Unsupported(
            "this reactor has no fd a host can watch (poll(2), or virtual time)",
        ));
    }
    // The poller fd is already non-blocking for its one use here (polled for
    // readability; epoll_wait ignores the flag).
    Async::new_nonblocking(GuestFd(reactor)).map_err(Error::Io)
}

/// Runs the reactor's turns until the reactor shuts down or the executor
/// drops this task.
pub(crate) async fn drive(fd: Async<GuestFd>, state: Arc<HostState>) {
    let _stop = StopOnDrop(state);
    let reactor = Arc::clone(&fd.get_ref().0);
    loop {
        if reactor.park(Some(Duration::ZERO), false).is_err() {
            return;
        }
        let Ok(deadline) = reactor.guest_wait() else {
            return;
        };
        if deadline.is_some_and(|d| d <= Instant::now()) {
            // Work is due at once (a timer, or a decorator's held-back
            // wake-up): run the turn after the tasks already queued.
            futures_lite::future::yield_now().await;
            continue;
        }
        let readable = async { fd.readable().await.is_ok() };
        let woke = match deadline {
            Some(deadline) => {
                let timer = async {
                    Timer::at(deadline).await;
                    true
                };
                futures_lite::future::or(readable, timer).await
            }
            None => readable.await,
        };
        if !woke {
            return;
        }
    }
}
