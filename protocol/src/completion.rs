//! Completion I/O: an optional reactor capability for operations that take
//! an *owned* buffer (experimental).
//!
//! A readiness reactor says "the fd is readable, go and read"; a completion
//! reactor (io_uring) does the read itself and reports "read `n` bytes into
//! the buffer you gave me". The kernel then writes into the buffer after
//! the call that handed it over returned, so the buffer cannot be borrowed:
//! it is *moved* to the reactor and comes back with the result, as
//! compio's `BufResult(io::Result<usize>, B)` and tokio-uring's
//! `(result, buf)` do.
//!
//! Library code never calls this module's trait: it calls the owned-buffer
//! operations of [`Async`](crate::io::Async) and the stream types
//! ([`read_owned`](crate::io::Async::read_owned),
//! [`write_owned`](crate::io::Async::write_owned)), which work on **every**
//! reactor. Where [`Reactor::completion`](crate::Reactor::completion)
//! offers a [`Completion`], they submit the operation to it; elsewhere they
//! wait for readiness and run a normal read or write into the owned buffer.
//!
//! # Cancellation
//!
//! Dropping a future whose operation is in flight calls
//! [`Completion::cancel`]: the reactor asks the kernel to cancel the
//! operation and keeps the buffer until the kernel reports the operation
//! over, then drops it. The buffer is never freed while the kernel may
//! still write into it, and is dropped exactly once.
//!
//! # Examples
//!
//! ```
//! use baton_protocol::completion::{BufResult, OwnedBuf};
//!
//! // Any `AsRef<[u8]> + AsMut<[u8]> + Send + 'static` type is an owned buffer.
//! fn takes<B: OwnedBuf>(buf: B) -> usize {
//!     buf.bytes().len()
//! }
//! assert_eq!(takes(vec![0u8; 16]), 16);
//! assert_eq!(takes([0u8; 4]), 4);
//!
//! let BufResult(n, buf) = BufResult(Ok(3), vec![1, 2, 3, 0]);
//! assert_eq!(&buf[..n?], &[1, 2, 3]);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::any::Any;
use std::fmt;
use std::io;
use std::task::{Context, Poll};

use crate::Error;
use crate::reactor::SourceKey;

/// A buffer an operation takes by value and gives back with its result.
///
/// Implemented for every `AsRef<[u8]> + AsMut<[u8]> + Send + 'static` type
/// (`Vec<u8>`, `Box<[u8]>`, `[u8; N]`, your own). A read fills
/// [`bytes_mut`](OwnedBuf::bytes_mut) from its start and returns how many
/// bytes it wrote; a write sends [`bytes`](OwnedBuf::bytes) (or a prefix).
///
/// # Notes
///
/// A completion reactor takes the slice once, when it submits, and does
/// not touch the buffer again until the kernel is done: a buffer whose
/// `bytes_mut` answers differently on each call only moves data through
/// the first answer.
pub trait OwnedBuf: Send + 'static {
    /// The bytes a write sends.
    fn bytes(&self) -> &[u8];
    /// The bytes a read fills.
    fn bytes_mut(&mut self) -> &mut [u8];
    /// The buffer as `Any`, so a type-erased buffer can be given back as
    /// the caller's type.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<T: AsRef<[u8]> + AsMut<[u8]> + Send + 'static> OwnedBuf for T {
    fn bytes(&self) -> &[u8] {
        self.as_ref()
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        self.as_mut()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// A range of an owned buffer, itself an owned buffer: a write of the
/// first `n` bytes a read returned, or the rest of a short write (as
/// tokio-uring's and compio's `Slice`).
///
/// # Examples
///
/// ```
/// use baton_protocol::completion::{OwnedBuf, Slice};
///
/// let slice = Slice::new(vec![1, 2, 3, 4], 1..3);
/// assert_eq!(slice.bytes(), &[2, 3]);
/// let rest = slice.advance(1);
/// assert_eq!(rest.bytes(), &[3]);
/// assert_eq!(rest.into_inner(), vec![1, 2, 3, 4]);
/// ```
#[derive(Debug)]
pub struct Slice<B> {
    buf: B,
    begin: usize,
    end: usize,
}

impl<B: OwnedBuf> Slice<B> {
    /// The bytes `range` of `buf`.
    ///
    /// # Panics
    ///
    /// If `range` is not within `buf.bytes()` (or ends before it begins).
    pub fn new(buf: B, range: std::ops::Range<usize>) -> Slice<B> {
        assert!(
            range.start <= range.end && range.end <= buf.bytes().len(),
            "a slice within the buffer"
        );
        Slice {
            buf,
            begin: range.start,
            end: range.end,
        }
    }

    /// The slice without its first `n` bytes (at most all of them): what is
    /// left to write after a write of `n`.
    pub fn advance(self, n: usize) -> Slice<B> {
        let begin = self.begin.saturating_add(n).min(self.end);
        Slice { begin, ..self }
    }

    /// The number of bytes in the slice.
    pub fn len(&self) -> usize {
        self.end - self.begin
    }

    /// Whether the slice is empty.
    pub fn is_empty(&self) -> bool {
        self.begin == self.end
    }

    /// The whole buffer back.
    pub fn into_inner(self) -> B {
        self.buf
    }
}

impl<B: OwnedBuf> AsRef<[u8]> for Slice<B> {
    fn as_ref(&self) -> &[u8] {
        &self.buf.bytes()[self.begin..self.end]
    }
}

impl<B: OwnedBuf> AsMut<[u8]> for Slice<B> {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf.bytes_mut()[self.begin..self.end]
    }
}

/// An operation's result and the buffer it took, given back either way (as
/// compio's `BufResult`).
#[derive(Debug)]
pub struct BufResult<T, B>(pub io::Result<T>, pub B);

/// An operation a [`Completion`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OpKind {
    /// Read into the buffer, from its start (`read(2)` semantics: 0 is the
    /// end of stream).
    Read,
    /// Write the buffer's bytes (`write(2)` semantics: may be short).
    Write,
}

/// Identifies one submitted operation of one [`Completion`]; meaningful
/// only to the reactor that returned it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpKey(u64);

impl OpKey {
    /// Builds the key from its raw number. For backend authors: the
    /// reactor that hands it out decides what the number means.
    pub const fn from_raw(raw: u64) -> Self {
        OpKey(raw)
    }

    /// The raw number, as given to [`from_raw`](Self::from_raw).
    pub const fn into_raw(self) -> u64 {
        self.0
    }
}

/// What [`Completion::poll_op`] gives back: the operation's result (a byte
/// count) and its buffer.
pub type Completed = (io::Result<usize>, Box<dyn OwnedBuf>);

/// A submission the reactor refused, with the buffer handed back.
pub struct Refused {
    /// Why: [`Error::NotRegistered`], [`Error::Shutdown`],
    /// [`Error::Io`] (the kernel's queues are full).
    pub error: Error,
    /// The buffer, untouched.
    pub buf: Box<dyn OwnedBuf>,
}

impl fmt::Debug for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refused")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// Completion I/O on a reactor's registered sources: submit an operation
/// with an owned buffer, poll for its result, cancel it. Object safe.
///
/// A reactor offers it through
/// [`Reactor::completion`](crate::Reactor::completion); the protocol's
/// owned-buffer futures are its only callers in practice.
///
/// # Contracts
///
/// - The buffer belongs to the reactor from [`submit`](Completion::submit)
///   until [`poll_op`](Completion::poll_op) gives it back, or, after
///   [`cancel`](Completion::cancel), until the kernel reports the
///   operation over; then the reactor drops it, exactly once. A reactor
///   dropped with operations still in the kernel leaks their buffers
///   rather than free memory the kernel may write.
/// - Completions are reaped by [`park`](crate::Reactor::park), which wakes
///   the stored waker and counts each completion as an event of its
///   [`Turn`](crate::reactor::Turn).
pub trait Completion: Send + Sync {
    /// Submits `op` on the registered source `key` with `buf`.
    ///
    /// # Errors
    ///
    /// A [`Refused`] carrying the buffer back: [`Error::NotRegistered`] for
    /// an unknown key, [`Error::Io`] when the kernel refuses the
    /// submission.
    fn submit(&self, key: SourceKey, op: OpKind, buf: Box<dyn OwnedBuf>) -> Result<OpKey, Refused>;

    /// Whether the operation completed.
    ///
    /// # Return value
    ///
    /// `Ready(Ok((result, buf)))` once, when it completed: the key is spent.
    /// `Pending` with `cx.waker()` stored (replacing the previous one),
    /// woken by the park that reaps the completion. `Ready(Err(_))` with
    /// [`Error::NotRegistered`] for an unknown or spent key.
    fn poll_op(&self, op: OpKey, cx: &mut Context<'_>) -> Poll<Result<Completed, Error>>;

    /// Gives up an operation not yet polled to completion: the reactor asks
    /// the kernel to cancel it and drops the buffer once the kernel reports
    /// the operation over (at once, if it already completed). An unknown key
    /// is ignored.
    fn cancel(&self, op: OpKey);

    /// The operations whose buffers the reactor holds: submitted and not yet
    /// given back, cancelled ones included until the kernel is done.
    fn in_flight(&self) -> usize;
}
