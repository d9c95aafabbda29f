//! The synchronisation primitives of the protocol's hand-offs: `std`
//! normally, `loom` under `cfg(loom)`, so that the models in `loom.rs`
//! check the code that runs, not a copy of it.
//!
//! Only the primitives whose interleavings matter go through here: a
//! Promise's state lock. (The readiness and timer tables' locks are in
//! `baton-reactor-kit`, which has the same facade.) Ids and counters that
//! order nothing use `std` directly.

#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};
