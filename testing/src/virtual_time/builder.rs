//! The builder of [`VirtualTime`].

use std::time::Duration;

use baton_protocol::Reactor;

use super::{DEFAULT_AUTOJUMP_THRESHOLD, VirtualTime};

/// Configures a [`VirtualTime`]: the autojump threshold, or no autojump.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_reactor_epoll::EpollReactor;
/// use baton_testing::virtual_time;
///
/// // Jump as soon as an idle runtime has no I/O ready at all.
/// let eager = virtual_time::Builder::new()
///     .autojump_threshold(Duration::ZERO)
///     .build(EpollReactor::new()?);
/// assert_eq!(eager.autojump_threshold(), Some(Duration::ZERO));
///
/// // Time moves only by `advance`.
/// let manual = virtual_time::Builder::new().manual().build(EpollReactor::new()?);
/// assert_eq!(manual.autojump_threshold(), None);
/// # Ok::<(), baton_protocol::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build`"]
pub struct Builder {
    threshold: Option<Duration>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Autojump after [`DEFAULT_AUTOJUMP_THRESHOLD`].
    pub fn new() -> Builder {
        Builder {
            threshold: Some(DEFAULT_AUTOJUMP_THRESHOLD),
        }
    }

    /// Autojump once an idle runtime has seen no I/O and no unpark for
    /// `threshold` of real time. Zero jumps as soon as a non-blocking look
    /// at the inner reactor finds nothing; larger values give I/O in flight
    /// (a reply on loopback, a peer thread's write) longer to arrive before
    /// timers win, at that cost in real time per jump.
    pub fn autojump_threshold(mut self, threshold: Duration) -> Builder {
        self.threshold = Some(threshold);
        self
    }

    /// No autojump: the clock moves only by [`VirtualTime::advance`]. An
    /// idle runtime whose tasks wait for timers then waits (in real time)
    /// until the test advances the clock from another thread or task.
    pub fn manual(mut self) -> Builder {
        self.threshold = None;
        self
    }

    /// Wraps `inner`; the virtual clock starts now.
    pub fn build<R: Reactor>(self, inner: R) -> VirtualTime<R> {
        VirtualTime::with_threshold(inner, self.threshold)
    }
}
