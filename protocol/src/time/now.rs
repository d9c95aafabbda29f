//! [`now`]: the one clock portable code should read.

use std::time::Instant;

use crate::handle::Handle;

/// The current instant on the clock of the runtime entered on this thread:
/// [`Reactor::now`](crate::Reactor::now) of its reactor.
///
/// This is the clock every deadline of [`sleep`](super::sleep),
/// [`timeout`](super::timeout) and [`interval`](super::interval) is measured
/// on, so code that reads the time through it agrees with its timers: under
/// a virtual-time reactor (`baton_testing::VirtualTime`) it returns the
/// virtual instant, where [`Instant::now`] would escape into real time and
/// see an hour-long virtual sleep take no time at all. Library code that
/// measures, stamps or compares times should read this, never
/// [`Instant::now`].
///
/// Outside every runtime there is no reactor to ask, and it returns
/// [`Instant::now`]: the same clock the real reactors keep.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_protocol::time::{now, sleep};
/// use baton_protocol::Error;
///
/// /// How long `work` took, on the runtime's clock: under virtual time it is
/// /// exactly the virtual time that passed.
/// async fn timed<F: std::future::Future>(work: F) -> (F::Output, Duration) {
///     let start = now();
///     let output = work.await;
///     (output, now() - start)
/// }
/// # let _ = timed(sleep(Duration::from_millis(1)));
/// ```
pub fn now() -> Instant {
    Handle::current_now().unwrap_or_else(Instant::now)
}
