//! The crate's only `unsafe`: the three system calls std and signal-hook
//! leave out, each wrapped once in a safe function.
//!
//! - reading and re-installing a signal's disposition (`sigaction`), so
//!   dropping the last [`Signals`](crate::signal::Signals) can give back
//!   what was there before (signal-hook-registry never uninstalls its
//!   handler);
//! - `pidfd_open`, so a child's exit is a readiness the reactor can wait
//!   on (std's `PidFd` is not stable).
//!
//! Everything above this module is safe code.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::ptr;

/// What the process does on a signal: a `sigaction` as the kernel returned
/// it.
///
/// # Invariant
///
/// The value was read from the kernel by [`Disposition::current`], so its
/// handler (if not `SIG_DFL` / `SIG_IGN`) is a function that was installed
/// in this process; handlers of Rust crates and of libc live in the binary
/// for the whole run.
#[derive(Clone, Copy)]
pub(crate) struct Disposition(libc::sigaction);

impl Disposition {
    /// The disposition of `signal` now.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a number that is not a signal.
    pub(crate) fn current(signal: libc::c_int) -> io::Result<Disposition> {
        let mut old = MaybeUninit::<libc::sigaction>::zeroed();
        // SAFETY: a null `act` only reads; `old` points at writable memory
        // the size of a `sigaction`, which the kernel fills on success.
        if unsafe { libc::sigaction(signal, ptr::null(), old.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `sigaction` returned 0, so it wrote the whole struct (and
        // an all-zero `sigaction` is valid plain data regardless).
        Ok(Disposition(unsafe { old.assume_init() }))
    }

    /// The handler's address, to tell two dispositions apart.
    pub(crate) fn handler(&self) -> usize {
        self.0.sa_sigaction
    }

    /// Makes this the disposition of `signal`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a number that is not a signal (or cannot be caught).
    pub(crate) fn install(&self, signal: libc::c_int) -> io::Result<()> {
        // SAFETY: by the type's invariant the handler was installed in this
        // process before and is still code of this process, so installing
        // it again runs nothing new; the pointers are valid for the call.
        if unsafe { libc::sigaction(signal, &self.0, ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// A pidfd of the process `pid`, close-on-exec (pidfd_open(2), Linux 5.3).
///
/// # Errors
///
/// `ENOSYS` on an older kernel, `ESRCH` when no such process exists,
/// `EMFILE` / `ENFILE` when out of descriptors.
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::ESRCH))?;
    // SAFETY: `pidfd_open` takes two integers and touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = RawFd::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel just returned this descriptor to us; nothing else
    // owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
