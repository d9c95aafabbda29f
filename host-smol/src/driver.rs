//! The guest reactor's turns, run by smol.
//!
//! The reactor's poller fd is watched with async-io's `Async`, polled with
//! a waker of its own (reactor-kit's `GuestTurns`): when async-io's reactor
//! finds the fd readable it calls that waker, which runs the non-blocking
//! [`park`](Reactor::park) right there, so the tasks the turn wakes are
//! woken by the thread running async-io's reactor, as smol's own sockets'
//! tasks are, with no task of the host's scheduled and polled in between.
//! The nearest timer deadline is kept by the driver task, with an async-io
//! `Timer`, and a turn due at once runs after the tasks already queued.
//! Either way one turn dispatches what is ready and fires what is due, by
//! the reactor's own tables and clock: smol decides only *when* to look,
//! never *what* fires.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use async_io::{Async, Timer};
use baton_protocol::{Error, Reactor};
use futures_lite::Future;

use baton_reactor_kit::{GuestFdWatch, GuestTurns, HostState, HostTimer};

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

/// async-io's watch of the guest fd.
pub(crate) struct SmolWatch(Async<GuestFd>);

impl SmolWatch {
    /// The watch of the registered fd.
    pub(crate) fn new(fd: Async<GuestFd>) -> Arc<GuestTurns<SmolWatch>> {
        GuestTurns::new(SmolWatch(fd))
    }
}

impl GuestFdWatch for SmolWatch {
    fn reactor(&self) -> &dyn Reactor {
        &*self.0.get_ref().0
    }

    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_readable(cx)
    }
}

/// async-io's `Timer` as the driver task's timer.
struct SmolTimer(Timer);

impl HostTimer for SmolTimer {
    fn arm(mut self: Pin<&mut Self>, deadline: Instant) {
        self.0.set_at(deadline);
    }

    fn poll_fired(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

/// Runs the first turn (which hands async-io the turns' waker), then the
/// turns the reactor's timers ask for, until the reactor shuts down or the
/// executor drops this task.
pub(crate) async fn drive(turns: Arc<GuestTurns<SmolWatch>>, state: Arc<HostState>) {
    let _stop = StopOnDrop(state);
    turns
        .drive(SmolTimer(Timer::never()), futures_lite::future::yield_now)
        .await;
}
