//! The await protocol of baton: what async code needs from a runtime, and
//! what a runtime must provide, with no event loop of its own.
//!
//! (Crate documentation is completed once the leaf futures land.)

#![forbid(unsafe_code)]

pub mod awaitable;
pub mod coop;
mod error;
mod handle;
pub mod reactor;
pub mod task;
pub mod wait;

#[doc(no_inline)]
pub use crate::awaitable::Awaitable;
pub use crate::error::Error;
pub use crate::handle::{EnterGuard, ErrorHook, Handle};
#[doc(no_inline)]
pub use crate::reactor::{Direction, Interest, Reactor};
#[doc(no_inline)]
pub use crate::task::{JoinHandle, Spawn, TaskGroup, spawn};
