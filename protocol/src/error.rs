//! The one error type of the protocol.

use std::error::Error as StdError;
use std::io;
use std::sync::Arc;

/// Everything that can go wrong in the protocol, one variant per situation a
/// caller can act on.
///
/// Every reactor, executor and leaf future reports the same situation with the
/// same variant, so portable code can match on it without knowing the backend.
///
/// `Error` is `Clone` because a [`Promise`](crate::Promise) hands the same
/// error to every reader, as asyncio's `Future.exception()` does. Cloning an
/// [`Error::Io`] keeps its kind, its OS error code and its message.
///
/// # Converting to and from `io::Error`
///
/// The I/O types implement `futures_io` traits, which speak `io::Error`. An
/// `Error` converted into an `io::Error` travels inside it and comes back out
/// unchanged: `Error::from(io::Error::from(Error::Closed))` is `Error::Closed`.
/// An [`Error::Io`] converts to the `io::Error` it holds.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Code that needs a runtime ran where none is entered: call it from a
    /// task, or enter a [`Handle`](crate::Handle) first.
    #[error("no baton runtime is entered on this thread")]
    NoRuntime,

    /// The task, wait or [`Promise`](crate::Promise) was cancelled, with the
    /// message given to `cancel`, if any.
    #[error("cancelled{}", .0.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Cancelled(Option<String>),

    /// The operation is not valid in the object's current state (a Promise
    /// completed twice or read while pending, a task group already closed).
    #[error("invalid state: {0}")]
    InvalidState(&'static str),

    /// The file descriptor is already registered with this reactor.
    #[error("the file descriptor is already registered with this reactor")]
    AlreadyRegistered,

    /// The source or timer key is not (or no longer) registered.
    #[error("the source or timer is not registered with this reactor")]
    NotRegistered,

    /// The backend cannot do this, on any reactor: regular files cannot be
    /// registered (design Decision 4), for example.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),

    /// The source was closed through the protocol while the operation waited
    /// on it, or before it started.
    #[error("the source was closed")]
    Closed,

    /// The reactor or runtime has shut down; nothing more can be started on it.
    #[error("the runtime has shut down")]
    Shutdown,

    /// A deadline passed before the operation completed.
    #[error("deadline elapsed")]
    Elapsed,

    /// The task panicked; the payload's text is kept.
    #[error("task panicked: {0}")]
    Panicked(String),

    /// An operating-system or I/O error.
    #[error(transparent)]
    Io(io::Error),

    /// An error of the application's own, set on a
    /// [`Promise`](crate::Promise) or returned by a task group child; get it
    /// back with [`Error::downcast_ref`].
    #[error(transparent)]
    Custom(Arc<dyn StdError + Send + Sync + 'static>),
}

impl Error {
    /// Wraps an application error in [`Error::Custom`].
    pub fn custom<E: StdError + Send + Sync + 'static>(error: E) -> Self {
        Error::Custom(Arc::new(error))
    }

    /// The application error inside an [`Error::Custom`], if it has type `E`.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        match self {
            Error::Custom(inner) => inner.downcast_ref(),
            _ => None,
        }
    }

    /// The panic payload's text: a `&str` or `String` payload verbatim,
    /// anything else as a placeholder.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let text = if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "<non-string panic payload>".to_owned()
        };
        Error::Panicked(text)
    }

    /// The `io::ErrorKind` this error maps to when it crosses into
    /// `futures_io` traits.
    pub fn io_kind(&self) -> io::ErrorKind {
        match self {
            Error::Io(e) => e.kind(),
            Error::Cancelled(_) | Error::Elapsed => io::ErrorKind::TimedOut,
            Error::Closed => io::ErrorKind::NotConnected,
            Error::Unsupported(_) => io::ErrorKind::Unsupported,
            Error::AlreadyRegistered => io::ErrorKind::AlreadyExists,
            Error::NotRegistered => io::ErrorKind::NotFound,
            Error::InvalidState(_) => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::Other,
        }
    }
}

impl Clone for Error {
    fn clone(&self) -> Self {
        match self {
            Error::NoRuntime => Error::NoRuntime,
            Error::Cancelled(m) => Error::Cancelled(m.clone()),
            Error::InvalidState(s) => Error::InvalidState(s),
            Error::AlreadyRegistered => Error::AlreadyRegistered,
            Error::NotRegistered => Error::NotRegistered,
            Error::Unsupported(s) => Error::Unsupported(s),
            Error::Closed => Error::Closed,
            Error::Shutdown => Error::Shutdown,
            Error::Elapsed => Error::Elapsed,
            Error::Panicked(s) => Error::Panicked(s.clone()),
            Error::Io(e) => Error::Io(clone_io(e)),
            Error::Custom(e) => Error::Custom(Arc::clone(e)),
        }
    }
}

/// `io::Error` is not `Clone`; rebuild it from what identifies it.
fn clone_io(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None if e.get_ref().is_some() => io::Error::new(e.kind(), e.to_string()),
        None => io::Error::from(e.kind()),
    }
}

impl From<io::Error> for Error {
    /// Unwraps an `Error` that travelled inside an `io::Error`; wraps any
    /// other `io::Error` in [`Error::Io`].
    fn from(e: io::Error) -> Self {
        match e.downcast::<Error>() {
            Ok(ours) => ours,
            Err(e) => Error::Io(e),
        }
    }
}

impl From<Error> for io::Error {
    /// [`Error::Io`] gives back the `io::Error` it holds; every other variant
    /// travels inside an `io::Error` of kind [`Error::io_kind`].
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => e,
            other => io::Error::new(other.io_kind(), other),
        }
    }
}
