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
/// **This is the one clock portable code should use.** The same goes for
/// everything that reads the time on a library's behalf: pass `now()`
/// where an API wants an `Instant` (a rate limiter, a cache's expiry, a
/// retry's backoff), so that tests running it under virtual time see it
/// move with their timers.
///
/// Outside every runtime there is no reactor to ask, and it returns
/// [`Instant::now`]: the same clock the real reactors keep.
///
/// # Examples
///
/// Under virtual time, `now()` is the virtual clock: it moves exactly as
/// far as the test advances it, in no real time at all.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use baton_protocol::{Handle, time};
/// use baton_reactor_epoll::EpollReactor;
/// use baton_testing::virtual_time::Builder;
/// # use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions};
/// # struct NoTasks;
/// # impl baton_protocol::Spawn for NoTasks {
/// #     fn spawn_erased(&self, _: BoxErased, _: SpawnOptions)
/// #         -> Result<Box<dyn RawJoin<BoxErased>>, baton_protocol::Error> {
/// #         Err(baton_protocol::Error::Unsupported("no tasks"))
/// #     }
/// #     fn alive_tasks(&self) -> usize { 0 }
/// # }
///
/// let clock = Arc::new(Builder::new().manual().build(EpollReactor::new()?));
/// let runtime = Handle::new(clock.clone(), Arc::new(NoTasks));
/// let _entered = runtime.enter();
///
/// let before = time::now();
/// clock.advance(Duration::from_secs(3600)).unwrap();
/// assert_eq!(time::now() - before, Duration::from_secs(3600));
/// # Ok::<(), baton_protocol::Error>(())
/// ```
///
/// Library code measures with it:
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
