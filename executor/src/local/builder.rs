//! `LocalBuilder`: how a [`LocalExecutor`] is configured.

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use baton_protocol::{Error, Handle, Reactor};

use super::LocalExecutor;
use super::state::{LocalCore, LocalShared, LocalSpawner};
use crate::blocking::{Pool, PoolConfig};
use crate::context;
use crate::metrics::Observe;
use crate::park::Driver;
use crate::runtime::{DEFAULT_INTERVAL, DEFAULT_KEEP_ALIVE, DEFAULT_MAX_BLOCKING};
use crate::task::{Core, Instrument};

/// Configures and builds a [`LocalExecutor`].
#[must_use = "a LocalBuilder does nothing until .build()"]
pub struct LocalBuilder {
    reactor: Option<Arc<dyn Reactor>>,
    shuffle: Option<u64>,
    check_lost: bool,
    poll_timing: bool,
    global_queue_interval: u32,
    event_interval: u32,
    max_blocking: usize,
    keep_alive: Duration,
    thread_name: String,
    observe: Observe,
}

impl LocalBuilder {
    pub(super) fn new() -> LocalBuilder {
        LocalBuilder {
            reactor: None,
            shuffle: None,
            check_lost: cfg!(debug_assertions),
            poll_timing: cfg!(debug_assertions),
            global_queue_interval: DEFAULT_INTERVAL,
            event_interval: DEFAULT_INTERVAL,
            max_blocking: DEFAULT_MAX_BLOCKING,
            keep_alive: DEFAULT_KEEP_ALIVE,
            thread_name: "baton-local".to_owned(),
            observe: Observe::default(),
        }
    }

    /// The reactor the executor drives (required); see
    /// [`Builder::reactor`](crate::Builder::reactor).
    pub fn reactor(self, reactor: impl Reactor + 'static) -> LocalBuilder {
        self.shared_reactor(Arc::new(reactor))
    }

    /// The reactor, already shared; see
    /// [`Builder::shared_reactor`](crate::Builder::shared_reactor).
    pub fn shared_reactor(mut self, reactor: Arc<dyn Reactor>) -> LocalBuilder {
        self.reactor = Some(reactor);
        self
    }

    /// Shuffle mode, for tests: the next task is picked at random among the
    /// queued ones, from a generator seeded with `seed`. The same seed and
    /// the same program give the same order, run after run. The protocol's
    /// promises still hold: a task that wakes itself runs after a reactor
    /// poll.
    pub fn shuffle(mut self, seed: u64) -> LocalBuilder {
        self.shuffle = Some(seed);
        self
    }

    /// The lost-waker check; see
    /// [`Builder::lost_waker_check`](crate::Builder::lost_waker_check).
    pub fn lost_waker_check(mut self, on: bool) -> LocalBuilder {
        self.check_lost = on;
        self
    }

    /// Poll timing for dumps; see
    /// [`Builder::poll_timing`](crate::Builder::poll_timing).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// let reactor = baton_reactor_epoll::EpollReactor::new()?;
    /// let ex = baton_executor::LocalExecutor::builder()
    ///     .reactor(reactor)
    ///     .poll_timing(false)
    ///     .build()?;
    /// assert!(!ex.dump().timed);
    /// # Ok(()) }
    /// ```
    pub fn poll_timing(mut self, on: bool) -> LocalBuilder {
        self.poll_timing = on;
        self
    }

    /// N: how often tasks queued from other threads go first; see
    /// [`Builder::global_queue_interval`](crate::Builder::global_queue_interval).
    pub fn global_queue_interval(mut self, ticks: u32) -> LocalBuilder {
        self.global_queue_interval = ticks;
        self
    }

    /// M: how often the reactor is polled while tasks keep running; see
    /// [`Builder::event_interval`](crate::Builder::event_interval).
    pub fn event_interval(mut self, polls: u32) -> LocalBuilder {
        self.event_interval = polls;
        self
    }

    /// The most threads the blocking pool starts (default 64).
    pub fn max_blocking_threads(mut self, threads: usize) -> LocalBuilder {
        self.max_blocking = threads;
        self
    }

    /// How long an idle blocking-pool thread waits before it exits
    /// (default 10 s).
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> LocalBuilder {
        self.keep_alive = keep_alive;
        self
    }

    /// The name prefix of the blocking pool's threads (default
    /// `baton-local`, threads `baton-local-blocking-{n}`).
    pub fn thread_name(mut self, name: impl Into<String>) -> LocalBuilder {
        self.thread_name = name.into();
        self
    }

    /// The poll-duration and scheduled-to-run histograms; see
    /// [`Builder::metrics_histograms`](crate::Builder::metrics_histograms).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// let ex = baton_executor::LocalExecutor::builder()
    ///     .reactor(baton_reactor_epoll::EpollReactor::new()?)
    ///     .metrics_histograms(true)
    ///     .build()?;
    /// ex.block_on(ex.spawn(async {})?)??;
    /// assert_eq!(ex.metrics().scheduled_delay.count(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn metrics_histograms(mut self, on: bool) -> LocalBuilder {
        self.observe.histograms = on;
        self
    }

    /// The slow-poll threshold; see
    /// [`Builder::slow_poll_threshold`](crate::Builder::slow_poll_threshold).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// use std::time::Duration;
    ///
    /// let ex = baton_executor::LocalExecutor::builder()
    ///     .reactor(baton_reactor_epoll::EpollReactor::new()?)
    ///     .slow_poll_threshold(Duration::ZERO)
    ///     .build()?;
    /// ex.block_on(ex.spawn(async {})?)??;
    /// assert_eq!(ex.metrics().slow_polls, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> LocalBuilder {
        self.observe.slow_poll = Some(threshold);
        self
    }

    /// Builds the executor.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] without a reactor, and for a zero interval or
    /// blocking-thread bound.
    pub fn build(mut self) -> Result<LocalExecutor, Error> {
        let reactor = self.reactor.take().ok_or(Error::InvalidState(
            "no reactor: give the executor one with LocalBuilder::reactor",
        ))?;
        if self.global_queue_interval == 0 || self.event_interval == 0 {
            return Err(Error::InvalidState("a scheduling interval of zero"));
        }
        if self.max_blocking == 0 {
            return Err(Error::InvalidState("max_blocking_threads(0)"));
        }
        Ok(self.finish(reactor))
    }

    /// Builds from settings known to be valid.
    pub(super) fn finish(self, reactor: Arc<dyn Reactor>) -> LocalExecutor {
        let pool = Pool::new(PoolConfig {
            max_threads: self.max_blocking,
            keep_alive: self.keep_alive,
            thread_name: format!("{}-blocking", self.thread_name),
            stack_size: None,
        });
        let shared = Arc::new(LocalShared::new(
            context::next_executor_id(),
            Driver::new(Arc::clone(&reactor)),
            pool,
            Instrument {
                check_lost: self.check_lost,
                poll_timing: self.poll_timing,
            },
            self.observe,
        ));
        let tasks_core = Core::new(&shared);
        let spawner = LocalSpawner {
            shared: Arc::clone(&shared),
            core: tasks_core.clone(),
        };
        let handle = Handle::new(reactor, Arc::new(spawner));
        let core = Rc::new(LocalCore::new(
            shared,
            tasks_core,
            self.shuffle,
            self.global_queue_interval,
            self.event_interval,
        ));
        LocalExecutor::from_parts(core, handle)
    }
}

impl fmt::Debug for LocalBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBuilder")
            .field("reactor", &self.reactor.is_some())
            .field("shuffle", &self.shuffle)
            .field("lost_waker_check", &self.check_lost)
            .field("poll_timing", &self.poll_timing)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("event_interval", &self.event_interval)
            .field("metrics_histograms", &self.observe.histograms)
            .field("slow_poll_threshold", &self.observe.slow_poll)
            .finish_non_exhaustive()
    }
}
