//! The synchronisation primitives of the executor's hand-offs: `std`
//! normally, `loom` under `cfg(loom)`, so that the models in this crate check
//! the code that runs, not a copy of it.
//!
//! Only the primitives whose interleavings matter go through here (the
//! parker, the idle-worker bookkeeping, the local executor's wake-up state,
//! the task registry and a task's cancel flag); counters read only by
//! metrics use `std` directly.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

use std::sync::PoisonError;

/// Locks `mutex`, ignoring poisoning: every critical section in this crate
/// leaves its data consistent at each step, and user code never runs under
/// one of these locks, so a panic elsewhere cannot leave them half-updated.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `condvar`, ignoring poisoning as [`lock`] does.
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}
