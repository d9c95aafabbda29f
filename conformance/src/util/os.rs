//! The suite's only `unsafe`: file status flags and signals, which std does
//! not expose.
//!
//! # Invariant
//!
//! Every function takes a borrowed descriptor or a thread it can name, so
//! the descriptor is open and the thread alive for the duration of the call.

#![allow(
    unsafe_code,
    reason = "fcntl, sigaction and pthread_kill have no safe std API"
)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
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
