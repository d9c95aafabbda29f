//! [`UringReactor`] and its [`Builder`]: the kit's [`Driver`] over the
//! io_uring glue.

use std::task::{Context, Poll};

use baton_protocol::completion::Completion;
use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::TimerKey;
use baton_protocol::{Error, Reactor};
use baton_reactor_kit::Driver;

use crate::sys::{Config, Ring, Uring};

/// A [`Reactor`] on io_uring: a multishot `POLL_ADD` per source, one
/// `io_uring_enter` per park, a `NOP` from the unparking thread to end a
/// wait.
///
/// See the [crate documentation](crate) for how directions map to poll
/// events, how a clear re-checks a source, the ring's sizes, the fallback
/// when the kernel refuses io_uring, and the measured costs.
#[derive(Debug)]
pub struct UringReactor {
    driver: Driver<Uring>,
    entries: u32,
    /// Completion mode: [`Reactor::completion`] offers the ring's
    /// owned-buffer operations.
    completion: bool,
}

impl UringReactor {
    /// Creates a reactor on a ring of 256 submission entries (and 2048
    /// completion entries).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the kernel refuses io_uring (too old,
    /// `kernel.io_uring_disabled`, a seccomp filter) or lacks what the
    /// reactor uses (multishot `POLL_ADD`, 5.13; the enter timeout, 5.11):
    /// fall back to another reactor (see the [crate documentation](crate)).
    /// [`Error::Io`] for any other refusal (out of file descriptors or of
    /// locked memory).
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_reactor_uring::UringReactor;
    ///
    /// match UringReactor::new() {
    ///     Ok(reactor) => assert_eq!(reactor.entries(), 256),
    ///     Err(baton_protocol::Error::Unsupported(why)) => eprintln!("no io_uring: {why}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), baton_protocol::Error>(())
    /// ```
    pub fn new() -> Result<UringReactor, Error> {
        UringReactor::builder().build()
    }

    /// A builder, to choose the ring's size.
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_reactor_uring::UringReactor;
    ///
    /// if let Ok(reactor) = UringReactor::builder().entries(64).build() {
    ///     assert_eq!(reactor.entries(), 64);
    /// }
    /// ```
    pub fn builder() -> Builder {
        Builder {
            config: Config::default(),
        }
    }

    /// The ring's submission queue size, as the kernel set it up (the
    /// requested size rounded up to a power of two, clamped to its
    /// maximum).
    pub fn entries(&self) -> u32 {
        self.entries
    }

    /// Whether the reactor runs in completion mode ([`Builder::completion`]).
    pub fn is_completion(&self) -> bool {
        self.completion
    }
}

/// Every [`Reactor`] method is the driver's: the type only names the glue.
impl Decorator for UringReactor {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.driver
    }

    /// The driver's single call: this type overrides neither half.
    fn poll_timer_once(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner().poll_timer_once(key, cx)
    }

    /// The ring's owned-buffer operations, in completion mode.
    fn completion(&self) -> Option<&dyn Completion> {
        if self.completion {
            Some(self.driver.registrar())
        } else {
            None
        }
    }
}

/// Settings of a [`UringReactor`]'s ring.
#[derive(Clone, Debug)]
pub struct Builder {
    config: Config,
}

impl Builder {
    /// The submission queue size (default 256; the completion queue gets
    /// eight times as many). A full submission queue is handed to the
    /// kernel and refilled, so a small ring costs syscalls, not
    /// correctness; a park reaps what the completion queue holds and the
    /// kernel keeps what overflows it for the next park.
    pub fn entries(mut self, entries: u32) -> Builder {
        self.config.entries = entries;
        self
    }

    /// Completion mode (experimental, off by default): the protocol's
    /// owned-buffer operations
    /// ([`read_owned`](baton_protocol::io::Async::read_owned),
    /// [`write_owned`](baton_protocol::io::Async::write_owned)) are
    /// submitted to the ring as `RECV` / `SEND` (`READ` / `WRITE` on
    /// non-sockets) instead of waiting for readiness; everything else is
    /// unchanged. See "Completion I/O" in the [crate documentation](crate)
    /// for what it costs.
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_protocol::Reactor;
    /// use baton_reactor_uring::UringReactor;
    ///
    /// if let Ok(reactor) = UringReactor::builder().completion(true).build() {
    ///     assert!(reactor.completion().is_some());
    /// }
    /// ```
    pub fn completion(mut self, on: bool) -> Builder {
        self.config.completion = on;
        self
    }

    /// Opens the ring.
    ///
    /// # Errors
    ///
    /// As [`UringReactor::new`], and [`Error::Unsupported`] in completion
    /// mode when the kernel lacks `RECV`, `SEND`, `READ`, `WRITE` or
    /// `ASYNC_CANCEL`; also [`Error::Io`] with `EINVAL` for zero entries.
    pub fn build(self) -> Result<UringReactor, Error> {
        let (ring, waiter) = Ring::open(self.config)?;
        let entries = ring.entries();
        Ok(UringReactor {
            driver: Driver::from_parts(ring, waiter),
            entries,
            completion: self.config.completion,
        })
    }
}
