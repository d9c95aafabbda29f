//! Perturbing wrappers: futures and I/O streams that return `Pending` where
//! a plain executor would not, to flush out code that assumes it is polled
//! in one go.
//!
//! Correct async code must not care how many times it is polled, nor whether
//! a wake-up comes before or after it stored its waker. These wrappers make
//! the unusual orders the normal case, as futures-test's do:
//!
//! - [`pending_once`]: `Pending` (with a wake-up) once, then the inner
//!   future as usual.
//! - [`interleave_pending`]: `Pending` (with a wake-up) before every poll of
//!   the inner future or I/O operation of the inner stream.
//!
//! Each `Pending` they return wakes the task first, so progress never
//! depends on anything outside: a wrapped future finishes exactly when the
//! unwrapped one would, one extra poll per interleaved `Pending` later.
//!
//! # Examples
//!
//! ```
//! use std::future::Future;
//! use std::pin::pin;
//! use std::task::{Context, Poll};
//! use baton_testing::CountingWaker;
//! use baton_testing::future::interleave_pending;
//!
//! let counter = CountingWaker::new();
//! let waker = counter.waker();
//! let mut cx = Context::from_waker(&waker);
//! let mut fut = pin!(interleave_pending(async { 1 + 1 }));
//! assert_eq!(fut.as_mut().poll(&mut cx), Poll::Pending);
//! assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(2));
//! assert_eq!(counter.count(), 1);
//! ```

mod interleave;
mod pending_once;

pub use interleave::{InterleavePending, interleave_pending};
pub use pending_once::{PendingOnce, pending_once};
