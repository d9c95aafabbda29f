//! Unix signals as events of the runtime: [`ctrl_c`] and [`Signals`].
//!
//! A signal handler may do almost nothing (no lock, no allocation), so the
//! work is split as in async-signal and signal-hook's async adapters: the
//! handler (signal-hook's) sets a flag and writes a byte to a socket pair;
//! the read end is an [`Async`](crate::io::Async) registered with the
//! current runtime's reactor, so a task waits for signals like for any
//! other readiness, on every reactor and host backend.
//!
//! - Several listeners of one signal each get it.
//! - Dropping the last listener of a signal restores its previous
//!   disposition (signal-hook alone would leave it ignored).
//! - Signals that cannot be listened to (`SIGKILL`, `SIGSTOP`, the fault
//!   signals, numbers that are no signal) are a [`SignalError`], never a
//!   panic.
//!
//! # Examples
//!
//! ```no_run
//! use baton_protocol::signal::{self, Signals};
//!
//! # async fn demo() -> Result<(), baton_protocol::Error> {
//! // Shut down on Ctrl-C ...
//! signal::ctrl_c().await?;
//!
//! // ... or on any signal of a set.
//! let mut signals = Signals::new([libc::SIGTERM, libc::SIGHUP])?;
//! let which = signals.recv().await?;
//! println!("got signal {which}");
//! # Ok(()) }
//! ```

mod ctrl_c;
mod error;
mod listeners;
mod signals;

pub use ctrl_c::{CtrlC, ctrl_c};
pub use error::SignalError;
pub use signals::Signals;
