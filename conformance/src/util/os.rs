//! The suite's only `unsafe`: file status flags, signals and child
//! processes' states, which std does not expose.
//!
//! # Invariant
//!
//! Every function takes a borrowed descriptor or a thread it can name, so
//! the descriptor is open and the thread alive for the duration of the call.

#![allow(
    unsafe_code,
    reason = "fcntl, sigaction, kill, pthread_kill, pidfd_open and waitid have no safe std API"
)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Sets `O_NONBLOCK` on `fd`.
///
/// # Errors
///
/// The OS error.
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: `raw` is open while `fd` is borrowed (the module's invariant);
    // F_GETFL reads its status flags and touches no memory of ours.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above; F_SETFL only changes the descriptor's status flags.
    if unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

static SIGURG_SEEN: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_sigurg(_: libc::c_int) {
    // Only an atomic add: async-signal-safe.
    SIGURG_SEEN.fetch_add(1, Ordering::SeqCst);
}

/// Installs a `SIGURG` handler without `SA_RESTART`, so a blocking syscall
/// in the signalled thread fails with `EINTR` instead of restarting.
///
/// # Errors
///
/// The OS error.
pub fn install_sigurg_handler() -> io::Result<()> {
    // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_sigurg as extern "C" fn(libc::c_int) as usize;
    action.sa_flags = 0;
    // SAFETY: `action.sa_mask` is a valid sigset_t owned by us.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: `action` is fully initialised and outlives the call; the
    // handler only touches an atomic, which is async-signal-safe.
    if unsafe { libc::sigaction(libc::SIGURG, &action, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// How many `SIGURG`s the handler has seen.
pub fn sigurg_seen() -> usize {
    SIGURG_SEEN.load(Ordering::SeqCst)
}

/// The calling thread, as [`signal_thread`] names it.
pub fn current_thread() -> libc::pthread_t {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() }
}

/// Sends `SIGURG` to `thread`, which must still be running (the module's
/// invariant: callers keep it alive by holding its join handle).
///
/// # Errors
///
/// The OS error.
pub fn signal_thread(thread: libc::pthread_t) -> io::Result<()> {
    // SAFETY: `thread` names a live thread of this process (invariant).
    let rc = unsafe { libc::pthread_kill(thread, libc::SIGURG) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// Sends `signal` to this process (any of its threads may take it).
///
/// # Errors
///
/// The OS error (`EINVAL` for a number that is no signal).
pub fn kill_self(signal: libc::c_int) -> io::Result<()> {
    // SAFETY: `kill` takes two integers and touches no memory of ours.
    if unsafe { libc::kill(libc::getpid(), signal) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A pidfd of process `pid`, which must be an unreaped child of ours (so
/// the number names it and no recycled process).
///
/// # Errors
///
/// The OS error (`ENOSYS` before Linux 5.3).
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::ESRCH))?;
    // SAFETY: `pidfd_open` takes two integers and touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = RawFd::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether child `pid` has been reaped: `waitid(WNOWAIT)` no longer finds
/// it (`ECHILD`). A running child or a zombie is `false`; neither is
/// reaped by the check.
///
/// # Errors
///
/// Any other OS error.
pub fn reaped(pid: u32) -> io::Result<bool> {
    let id = libc::id_t::from(pid);
    let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::zeroed();
    // SAFETY: `info` is writable memory the size of a siginfo_t; WNOWAIT
    // leaves the child waitable, WNOHANG makes the call return at once.
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            id,
            info.as_mut_ptr(),
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    if rc == 0 {
        return Ok(false);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::ECHILD) {
        Ok(true)
    } else {
        Err(e)
    }
}
