//! [`BatonTimer`]: hyper's timeouts on the runtime's clock.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use baton_protocol::time;
use pin_project_lite::pin_project;

/// A [`hyper::rt::Timer`] on the protocol's clock: `now` is
/// [`baton_protocol::time::now`], and every sleep is a
/// [`baton_protocol::time::Sleep`], a timer of the runtime's reactor.
///
/// So hyper's timeouts (`header_read_timeout`, HTTP/2 keep-alive, a pool's
/// idle timeout) follow the reactor: under a virtual-time reactor
/// (`baton::testing::VirtualTime`) they fire at the right virtual instant,
/// with no real waiting. A timer whose `now` were [`Instant::now`] would
/// compare real instants with virtual deadlines, and under virtual time
/// every timeout would fire at once.
///
/// `reset` moves the reactor timer in place (no new allocation, no new
/// timer) for sleeps this timer made.
///
/// # Notes
///
/// A sleep that cannot be kept, because it is polled outside every runtime
/// or after its runtime shut down, completes: the timeout it stands for
/// fires, and hyper closes what it guarded, rather than waiting forever.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_hyper::BatonTimer;
///
/// let mut http1 = hyper::server::conn::http1::Builder::new();
/// http1.timer(BatonTimer::new()).header_read_timeout(Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct BatonTimer;

impl BatonTimer {
    /// The timer; it keeps no state, each sleep finds the runtime it runs
    /// on.
    pub fn new() -> Self {
        BatonTimer
    }
}

impl hyper::rt::Timer for BatonTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(BatonSleep {
            inner: time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(BatonSleep {
            inner: time::sleep_until(deadline),
        })
    }

    fn now(&self) -> Instant {
        time::now()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<BatonSleep>() {
            Some(ours) => ours.project().inner.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

pin_project! {
    /// A [`baton_protocol::time::Sleep`] as a [`hyper::rt::Sleep`]: what
    /// [`BatonTimer`] returns.
    #[derive(Debug)]
    pub struct BatonSleep {
        #[pin]
        inner: time::Sleep,
    }
}

impl Future for BatonSleep {
    type Output = ();

    /// Ready at the deadline, or at once when the sleep cannot be kept (see
    /// [`BatonTimer`]'s notes).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // An error is a timer that cannot be kept: it fires (documented).
        let _fired = ready!(self.project().inner.poll(cx));
        Poll::Ready(())
    }
}

impl hyper::rt::Sleep for BatonSleep {}
