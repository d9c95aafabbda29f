//! The synchronisation primitives of the kit's hand-offs: `std` normally,
//! `loom` under `cfg(loom)`, so that the models in `loom.rs` check the code
//! that runs, not a copy of it.
//!
//! Only the primitives whose interleavings matter go through here: the
//! readiness table's slot locks and shutdown flag, the timer table's lock,
//! and the driver's park lock and unpark flag. Ids and counters that order
//! nothing use `std` directly.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicBool;
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicBool;
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};
