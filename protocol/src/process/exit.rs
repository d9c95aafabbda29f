//! Waiting for a child's exit: a pidfd the reactor watches, or `SIGCHLD`
//! where the kernel has no pidfd.

use std::io;
use std::os::fd::OwnedFd;
use std::process::{self, ExitStatus};
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};

use crate::io::Async;
use crate::signal::Signals;
use crate::sys;

/// The environment variable that makes every child wait on `SIGCHLD`, as
/// on a kernel without pidfds: for testing that path on a new kernel.
pub(super) const NO_PIDFD: &str = "BATON_NO_PIDFD";

/// What a child's exit wakes.
pub(super) enum Exit {
    /// A pidfd: readable once the child has exited (Linux 5.3).
    Pidfd(Async<OwnedFd>),
    /// A listener of `SIGCHLD`, which any child's exit raises: each one is
    /// checked with a `waitpid` that does not block.
    Sigchld(Signals),
}

impl Exit {
    /// Starts watching the exit of the child `pid`, with the reactor of the
    /// runtime entered on this thread.
    ///
    /// # Errors
    ///
    /// Outside a runtime, [`Error::NoRuntime`](crate::Error::NoRuntime) as
    /// an `io::Error`; out of file descriptors, `EMFILE`.
    pub(super) fn watch(pid: u32) -> io::Result<Exit> {
        if !no_pidfd() {
            match sys::pidfd_open(pid) {
                // Never read, only watched: no need for O_NONBLOCK.
                Ok(fd) => return Ok(Exit::Pidfd(Async::new_nonblocking(fd)?)),
                // No pidfd_open (before 5.3), or a sandbox that refuses it.
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Exit::Sigchld(Signals::new([libc::SIGCHLD])?))
    }

    /// Polls for `child`'s exit status, reaping it.
    ///
    /// The status is checked before every wait, so an exit that came before
    /// the watch began (a pidfd stays readable, but one `SIGCHLD` may have
    /// gone to nobody) is not missed.
    pub(super) fn poll_exit(
        &mut self,
        child: &mut process::Child,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = child.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            match self {
                Exit::Pidfd(fd) => ready!(fd.poll_readable(cx))?,
                Exit::Sigchld(signals) => {
                    ready!(signals.poll_recv(cx))?;
                }
            }
        }
    }

    /// Which of the two it is, for `Debug`.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Exit::Pidfd(_) => "pidfd",
            Exit::Sigchld(_) => "SIGCHLD",
        }
    }
}

/// Whether [`NO_PIDFD`] is set (to anything but `0`), read once.
fn no_pidfd() -> bool {
    static NO: OnceLock<bool> = OnceLock::new();
    *NO.get_or_init(|| std::env::var_os(NO_PIDFD).is_some_and(|v| v != "0"))
}
