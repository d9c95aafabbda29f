//! Waking collected wakers, one panic at a time.
//!
//! The one piece of the reactor kit (`baton-reactor-kit`) the protocol
//! keeps: its own leaf futures fan wake-ups out too (several tasks accepting
//! on one listener), and the contract that a panicking waker never strands
//! the others is the same for both. The kit re-exports it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::Waker;

/// Wakes every waker, outside every lock, even if some of them panic.
///
/// A waker's `wake` is foreign code; if it panics during a reactor's
/// dispatch or shutdown, the other ready sources of that turn must still be
/// woken and no lock may be poisoned (`task.panics_in_drop_and_wake_contained`,
/// `shut.stop_notifies_all_sources`). So each wake runs under `catch_unwind`
/// and a panic is dropped here, after the panic hook has reported it, as
/// async-io's reactor does: the reactor has no one to hand it to.
pub fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    for waker in wakers {
        let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
    }
}
