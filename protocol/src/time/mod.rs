//! Time: sleeping, deadlines and periodic ticks, on the reactor's clock.
//!
//! Everything here is written once against [`Reactor`](crate::Reactor)'s
//! timers, so it runs unchanged on every backend, including a virtual-time
//! decorator: deadlines are instants of [`Reactor::now`](crate::Reactor::now),
//! never of [`Instant::now`](std::time::Instant::now).
//!
//! - [`sleep`] / [`sleep_until`]: wait for a duration or until a deadline.
//! - [`timeout`] / [`timeout_at`]: bound any future by a deadline.
//! - [`interval`] / [`interval_at`]: ticks at `start + k·period`, with a
//!   choosable [`MissedTickBehavior`].
//! - [`now`]: the runtime's clock, the one portable code should read.
//!
//! # Finding the reactor
//!
//! Each future takes the reactor of the runtime entered on the thread
//! ([`Handle::try_current`](crate::Handle::try_current)) when it is created;
//! created outside a runtime, it looks again at its first poll, and a relative
//! duration then counts from that poll. Polled outside every runtime, it
//! completes with [`Error::NoRuntime`](crate::Error::NoRuntime); after the
//! reactor shut down, with [`Error::Shutdown`](crate::Error::Shutdown).
//! Neither panics.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use baton_protocol::time::{sleep, timeout};
//! use baton_protocol::Error;
//!
//! async fn fetch_or_give_up() -> Result<u32, Error> {
//!     // The inner future is slower than the deadline: `Elapsed`.
//!     let slow = async {
//!         sleep(Duration::from_secs(60)).await?;
//!         Ok::<_, Error>(1)
//!     };
//!     match timeout(Duration::from_millis(10), slow).await {
//!         Ok(value) => value,
//!         Err(Error::Elapsed) => Ok(0),
//!         Err(e) => Err(e),
//!     }
//! }
//! # let _ = fetch_or_give_up();
//! ```

mod interval;
mod now;
mod sleep;
mod timeout;

pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use now::now;
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Timeout, timeout, timeout_at};
