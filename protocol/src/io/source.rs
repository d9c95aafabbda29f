//! `Source`: one registration with a reactor, and the readiness loops every
//! I/O operation of [`Async`](super::Async) runs through.

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use crate::reactor::{IoFault, SourceKey, Tick};
use crate::wait::{self, WaitFor};
use crate::{Direction, Error, Handle, Interest, Reactor, coop};

/// A file descriptor registered with a reactor; deregistered on drop.
///
/// # Invariant
///
/// `fd` stays open from [`Source::register`] until this value is dropped:
/// the owner ([`Async`](super::Async)) drops its `Source` before the I/O
/// handle that owns the fd.
pub(crate) struct Source {
    reactor: Arc<dyn Reactor>,
    key: SourceKey,
    fd: RawFd,
    /// Per direction, `raw + 1` of the last tick that [`poll_fresh`]
    /// returned, `0` for none. A tick whose raw value is `u64::MAX` wraps to
    /// "none": it costs at most one extra wait, never a missed wake-up.
    ///
    /// [`poll_fresh`]: Source::poll_fresh
    seen: [AtomicU64; 2],
}

impl Source {
    /// Registers `fd` for both directions with the current runtime's reactor.
    pub(crate) fn register(fd: RawFd) -> io::Result<Source> {
        let handle = Handle::current()?;
        let reactor = Arc::clone(handle.reactor());
        let key = reactor.register(fd, Interest::BOTH)?;
        Ok(Source {
            reactor,
            key,
            fd,
            seen: [AtomicU64::new(0), AtomicU64::new(0)],
        })
    }

    /// The reactor the source is registered with.
    pub(crate) fn reactor(&self) -> &Arc<dyn Reactor> {
        &self.reactor
    }

    /// The source's key with its reactor.
    pub(crate) fn key(&self) -> SourceKey {
        self.key
    }

    /// Records, for the executor's wait report, that the task waits on
    /// `dir` of this source (an owned-buffer operation in the reactor).
    pub(crate) fn report_wait(&self, dir: Direction) {
        wait::report(WaitFor::Io { fd: self.fd, dir });
    }

    /// Closes the source through the protocol: waiters wake with
    /// [`Error::Closed`], and so does every later operation.
    pub(crate) fn close(&self) -> io::Result<()> {
        Ok(self.reactor.close(self.key)?)
    }

    /// Waits for a readiness of `dir` that this method has not returned
    /// before.
    ///
    /// The reactor keeps readiness cached until it is cleared after a
    /// `WouldBlock`. A caller that waits, finds nothing to do (another task
    /// took the data, or the wake-up was spurious) and waits again would
    /// otherwise get the same readiness back at once, forever. So a tick
    /// already returned is cleared first, and the reactor re-arms: it reports
    /// the direction again, with a new tick, if it is still ready.
    pub(crate) fn poll_fresh(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(coop::poll_proceed(cx));
        let seen = &self.seen[dir.index()];
        let mut cleared = false;
        loop {
            let tick = ready!(self.poll_ready(dir, cx))?;
            let mark = tick.into_raw().wrapping_add(1);
            // `cleared`: a reactor that reports the very tick it was just
            // told to clear has a fresh readiness by its own account.
            if seen.swap(mark, Ordering::AcqRel) != mark || cleared {
                return Poll::Ready(Ok(()));
            }
            self.reactor.clear_ready(self.key, dir, tick)?;
            cleared = true;
        }
    }

    /// Runs one I/O operation: waits until `dir` is ready, runs `op`, and on
    /// `WouldBlock` clears that readiness and waits again; `Interrupted` is
    /// retried.
    ///
    /// `op` receives the most bytes it may move, `None` for no limit: a
    /// [`IoFault::Short`] from the reactor's fault point. Operations without
    /// a buffer ignore it.
    ///
    /// # Implementation notes
    ///
    /// One unit of the cooperative budget per poll; the fault point is asked
    /// once per poll, at its first attempt. A `WouldBlock` from the OS proves
    /// the fd drained ([`Reactor::clear_drained`], no re-arm on an
    /// edge-triggered backend); an injected one does not (data may be left),
    /// so it clears with [`Reactor::clear_ready`].
    pub(crate) fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: impl FnMut(Option<usize>) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_draining(dir, cx, op, |_, _| false)
    }

    /// [`poll_io`](Source::poll_io), where `drained(&output, limit)` says
    /// whether a successful operation proves the fd drained, so that its
    /// readiness is cleared at once: the next operation then waits without
    /// first making a syscall that could only say `WouldBlock`.
    pub(crate) fn poll_io_draining<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(Option<usize>) -> io::Result<R>,
        drained: impl Fn(&R, Option<usize>) -> bool,
    ) -> Poll<io::Result<R>> {
        ready!(coop::poll_proceed(cx));
        let mut first = true;
        // The tick an OS `WouldBlock` was cleared with. Meeting it again
        // means the clear kept the readiness (an end of stream is kept for
        // good, and a faulty reactor may keep anything): retrying at once
        // would spin inside this poll and starve the thread, so the task
        // yields instead.
        let mut blocked_at = None;
        loop {
            let tick = ready!(self.poll_ready(dir, cx))?;
            if blocked_at == Some(tick) {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let fault = if first {
                first = false;
                self.reactor.io_fault(self.key, dir)
            } else {
                None
            };
            let (limit, result) = match fault {
                None => (None, op(None)),
                Some(IoFault::WouldBlock) => {
                    // Injected: the fd may still hold data, so re-arm.
                    self.reactor.clear_ready(self.key, dir, tick)?;
                    continue;
                }
                Some(IoFault::Interrupted) => continue,
                Some(IoFault::Short(n)) => {
                    let n = n.max(1);
                    (Some(n), op(Some(n)))
                }
            };
            match result {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.reactor.clear_drained(self.key, dir, tick)?;
                    blocked_at = Some(tick);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(output) => {
                    if drained(&output, limit) {
                        // The operation succeeded; a failure to clear (a
                        // source closed meanwhile) is for the next one to
                        // meet.
                        let _ = self.reactor.clear_drained(self.key, dir, tick);
                    }
                    return Poll::Ready(Ok(output));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// The reactor's readiness, with a wait report on `Pending`.
    fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<Result<Tick, Error>> {
        let poll = self.reactor.poll_ready(self.key, dir, cx);
        if poll.is_pending() {
            wait::report(WaitFor::Io { fd: self.fd, dir });
        }
        poll
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        // The only failures are "already gone" (a reactor that lost the key)
        // and OS errors on a registration that is dead either way; a
        // destructor has no one to tell.
        let _ = self.reactor.deregister(self.key);
    }
}
