//! [`PollReactor`]: the kit's [`Driver`] over the polling glue.

use std::task::{Context, Poll};

use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::TimerKey;
use baton_protocol::{Error, Reactor};
use baton_reactor_kit::Driver;

use crate::sys::Polling;

/// A [`Reactor`] on the polling crate: oneshot registrations,
/// `Poller::notify` for `unpark`; epoll, or poll(2) when built with
/// `--cfg polling_test_poll_backend`.
///
/// See the [crate documentation](crate) for how directions map to polling's
/// events, why oneshot, the timer structure and the measured costs.
#[derive(Debug)]
pub struct PollReactor(Driver<Polling>);

impl PollReactor {
    /// Creates a reactor: a polling instance (on epoll: an epoll fd, an
    /// eventfd and a timerfd; on poll(2): a pipe).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the OS refuses (out of file descriptors).
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_reactor_poll::PollReactor;
    ///
    /// let reactor = PollReactor::new()?;
    /// # Ok::<(), baton_protocol::Error>(())
    /// ```
    pub fn new() -> Result<PollReactor, Error> {
        Driver::new().map(PollReactor)
    }
}

/// Every [`Reactor`] method is the driver's: the type only names the glue.
impl Decorator for PollReactor {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.0
    }

    /// The driver's single call: this type overrides neither half.
    fn poll_timer_once(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner().poll_timer_once(key, cx)
    }
}
