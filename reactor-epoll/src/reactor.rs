//! [`EpollReactor`]: the kit's [`Driver`] over the mio glue.

use std::task::{Context, Poll};

use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::TimerKey;
use baton_protocol::{Error, Reactor};
use baton_reactor_kit::Driver;

use crate::sys::Mio;

/// A [`Reactor`] on mio: edge-triggered epoll, an eventfd for `unpark`.
///
/// See the [crate documentation](crate) for how directions map to epoll
/// flags, how re-arming works, the timer structure and the measured costs.
#[derive(Debug)]
pub struct EpollReactor(Driver<Mio>);

impl EpollReactor {
    /// Creates a reactor: an epoll instance and an eventfd.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the OS refuses either (out of file descriptors).
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_reactor_epoll::EpollReactor;
    ///
    /// let reactor = EpollReactor::new()?;
    /// # Ok::<(), baton_protocol::Error>(())
    /// ```
    pub fn new() -> Result<EpollReactor, Error> {
        Driver::new().map(EpollReactor)
    }
}

/// Every [`Reactor`] method is the driver's: the type only names the glue.
impl Decorator for EpollReactor {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.0
    }

    /// The driver's single call: this type overrides neither half.
    fn poll_timer_once(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner().poll_timer_once(key, cx)
    }
}
