//! The cases, one module per category of CONFORMANCE.md.

pub(crate) mod blocking;
pub(crate) mod clock;
pub(crate) mod detached;
pub(crate) mod dns;
pub(crate) mod err;
pub(crate) mod fair;
pub(crate) mod fs;
pub(crate) mod io;
pub(crate) mod process;
pub(crate) mod promise;
pub(crate) mod rearm;
pub(crate) mod shut;
pub(crate) mod signal;
pub(crate) mod task;
pub(crate) mod time;
pub(crate) mod wake;
