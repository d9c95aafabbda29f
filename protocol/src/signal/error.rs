//! Why a signal cannot be listened to.

use std::io;

/// Why [`Signals::new`](super::Signals::new) refused a set of signals.
///
/// # Examples
///
/// ```
/// use baton_protocol::signal::{SignalError, Signals};
///
/// let refused = Signals::new([libc::SIGKILL]).unwrap_err();
/// assert!(matches!(refused, SignalError::Uncatchable(libc::SIGKILL)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignalError {
    /// `SIGKILL` and `SIGSTOP` cannot be caught, blocked or ignored, by
    /// anyone.
    #[error("signal {0} cannot be caught (SIGKILL and SIGSTOP never reach a handler)")]
    Uncatchable(libc::c_int),

    /// `SIGSEGV`, `SIGILL` and `SIGFPE` report a fault in the thread that
    /// raised them; a handler that only records them returns into the same
    /// fault, so signal-hook (and baton) refuse them.
    #[error("signal {0} reports a fault in the faulting thread and cannot be listened to")]
    Fault(libc::c_int),

    /// The number is not a signal on this system (0, negative, above
    /// `SIGRTMAX`, or reserved by the C library).
    #[error("{0} is not a signal number this process can handle")]
    Invalid(libc::c_int),

    /// The listener could not be set up: no runtime is entered
    /// ([`Error::NoRuntime`](crate::Error::NoRuntime)), or the system ran
    /// out of file descriptors.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<SignalError> for crate::Error {
    /// An `Io` error converts as any `io::Error` does (so a `NoRuntime`
    /// comes back as [`Error::NoRuntime`](crate::Error::NoRuntime)); the
    /// others become [`Error::Custom`](crate::Error::Custom).
    fn from(e: SignalError) -> Self {
        match e {
            SignalError::Io(e) => crate::Error::from(e),
            other => crate::Error::custom(other),
        }
    }
}

impl From<SignalError> for io::Error {
    /// An `Io` error as it is; the others as `InvalidInput`.
    fn from(e: SignalError) -> Self {
        match e {
            SignalError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidInput, other),
        }
    }
}
