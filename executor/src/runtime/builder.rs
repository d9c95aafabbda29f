//! `Builder`: how a [`Runtime`] is configured.

use std::fmt;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use baton_protocol::{Error, Handle, Reactor};
use crossbeam_deque::Worker as Queue;

use super::shared::{Config, Shared, Spawner};
use super::worker::{self, ThreadConfig};
use super::{Idle, Runtime};
use crate::blocking::{Pool, PoolConfig};
use crate::context;
use crate::metrics::Observe;
use crate::park::Driver;
use crate::task::{Core, Instrument};

/// The default of [`Builder::global_queue_interval`] and
/// [`Builder::event_interval`], as in tokio.
pub(crate) const DEFAULT_INTERVAL: u32 = 61;
/// The default of [`Builder::max_blocking_threads`].
pub(crate) const DEFAULT_MAX_BLOCKING: usize = 64;
/// The default of [`Builder::blocking_keep_alive`].
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Configures and builds a [`Runtime`].
///
/// Every setting but the reactor has a default. Invalid settings are
/// reported by [`build`](Builder::build), not by the setters.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), baton_protocol::Error> {
/// use baton_executor::Runtime;
///
/// // Any reactor: the executor knows it only through the protocol.
/// let reactor = baton_reactor_epoll::EpollReactor::new()?;
/// let rt = Runtime::builder()
///     .reactor(reactor)
///     .workers(4)
///     .thread_name("server")
///     .on_thread_start(|| eprintln!("worker up"))
///     .build()?;
/// # drop(rt);
/// # Ok(())
/// # }
/// ```
#[must_use = "a Builder does nothing until .build()"]
pub struct Builder {
    reactor: Option<Arc<dyn Reactor>>,
    workers: usize,
    thread_name: String,
    stack_size: Option<usize>,
    on_start: Option<Arc<dyn Fn() + Send + Sync>>,
    on_stop: Option<Arc<dyn Fn() + Send + Sync>>,
    shuffle: Option<u64>,
    check_lost: bool,
    poll_timing: bool,
    global_queue_interval: u32,
    event_interval: u32,
    max_blocking: usize,
    keep_alive: Duration,
    observe: Observe,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder {
            reactor: None,
            workers: thread::available_parallelism().map_or(1, |n| n.get()),
            thread_name: "baton-worker".to_owned(),
            stack_size: None,
            on_start: None,
            on_stop: None,
            shuffle: None,
            check_lost: cfg!(debug_assertions),
            poll_timing: cfg!(debug_assertions),
            global_queue_interval: DEFAULT_INTERVAL,
            event_interval: DEFAULT_INTERVAL,
            max_blocking: DEFAULT_MAX_BLOCKING,
            keep_alive: DEFAULT_KEEP_ALIVE,
            observe: Observe::default(),
        }
    }

    /// The reactor the runtime drives (required). The runtime owns it and
    /// shuts it down when it shuts down.
    pub fn reactor(self, reactor: impl Reactor + 'static) -> Builder {
        self.shared_reactor(Arc::new(reactor))
    }

    /// The reactor, already shared: for a reactor chosen at run time, or a
    /// decorator's inner one. The runtime shuts it down when it shuts down;
    /// two runtimes must not drive one reactor (its parks would serialize
    /// and wake-ups could reach the wrong one).
    pub fn shared_reactor(mut self, reactor: Arc<dyn Reactor>) -> Builder {
        self.reactor = Some(reactor);
        self
    }

    /// Worker threads; by default one per available CPU. Zero is refused by
    /// [`build`](Builder::build).
    pub fn workers(mut self, workers: usize) -> Builder {
        self.workers = workers;
        self
    }

    /// The name prefix of the runtime's threads: workers are named
    /// `{name}-{index}`, blocking-pool threads `{name}-blocking-{n}`.
    /// Default `baton-worker`.
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// The stack size of the runtime's threads, in bytes; the platform's
    /// default otherwise.
    pub fn thread_stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Runs `hook` on each worker thread as it starts, inside the runtime.
    /// A panic in it is reported to the error hook; the worker runs on.
    pub fn on_thread_start(mut self, hook: impl Fn() + Send + Sync + 'static) -> Builder {
        self.on_start = Some(Arc::new(hook));
        self
    }

    /// Runs `hook` on each worker thread as it stops, inside the runtime.
    pub fn on_thread_stop(mut self, hook: impl Fn() + Send + Sync + 'static) -> Builder {
        self.on_stop = Some(Arc::new(hook));
        self
    }

    /// Shuffle mode, for tests: each worker picks its next task at random
    /// among those queued on it (from a generator seeded with `seed`), and
    /// the LIFO slot is off. A test that passes only in one order relies on
    /// something the protocol does not promise. With several workers the
    /// order also depends on thread timing; use the
    /// [`LocalExecutor`](crate::LocalExecutor) for exact reproduction.
    /// The protocol's promises still hold: a task that wakes itself runs
    /// after a reactor poll.
    pub fn shuffle(mut self, seed: u64) -> Builder {
        self.shuffle = Some(seed);
        self
    }

    /// Turns the lost-waker check on or off (on by default in debug builds):
    /// a task that returns `Pending` without keeping or waking its waker is
    /// reported to the runtime's error hook as a
    /// [`LostWaker`](crate::LostWaker). It costs an allocation per poll.
    pub fn lost_waker_check(mut self, on: bool) -> Builder {
        self.check_lost = on;
        self
    }

    /// Turns poll timing on or off (on by default in debug builds): each
    /// task's time in polls, and how long it has been waiting, running or
    /// runnable, for [`Runtime::dump`](crate::Runtime::dump). Poll counts
    /// and everything else in a dump are kept either way.
    ///
    /// It costs two reads of the clock per poll: on the 2-core virtual
    /// machine `BENCHMARKS.md` describes, where `clock_gettime` takes about
    /// 100 ns, 200 tasks yielding 1000 times each ran 3 to 6 times slower
    /// (release build, epoll reactor). That is why release builds leave it
    /// off unless asked; real tasks, whose polls do I/O, pay far less in
    /// proportion.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// let reactor = baton_reactor_epoll::EpollReactor::new()?;
    /// let rt = baton_executor::Runtime::builder()
    ///     .reactor(reactor)
    ///     .poll_timing(true)
    ///     .build()?;
    /// assert!(rt.dump().timed);
    /// # Ok(()) }
    /// ```
    pub fn poll_timing(mut self, on: bool) -> Builder {
        self.poll_timing = on;
        self
    }

    /// N: a worker takes its next task from the global queue first once
    /// every `ticks` ticks, so work spawned from outside is not starved by
    /// local work. Default 61; zero is refused.
    pub fn global_queue_interval(mut self, ticks: u32) -> Builder {
        self.global_queue_interval = ticks;
        self
    }

    /// M: a busy worker polls the reactor without blocking once every
    /// `polls` task polls, so I/O and timers are served even when no worker
    /// is idle. Default 61; zero is refused.
    pub fn event_interval(mut self, polls: u32) -> Builder {
        self.event_interval = polls;
        self
    }

    /// The most threads the blocking pool starts (default 64; zero is
    /// refused).
    pub fn max_blocking_threads(mut self, threads: usize) -> Builder {
        self.max_blocking = threads;
        self
    }

    /// How long an idle blocking-pool thread waits for a job before it exits
    /// (default 10 s).
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Builder {
        self.keep_alive = keep_alive;
        self
    }

    /// Keeps the poll-duration and scheduled-to-run histograms of
    /// [`Metrics`](crate::Metrics) (off by default). They cost two clock
    /// reads per poll, one per wake, and one more allocation per spawn (the
    /// task's wake stamp); the counts and the park-duration histogram are
    /// kept either way.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// let rt = baton_executor::Runtime::builder()
    ///     .reactor(baton_reactor_epoll::EpollReactor::new()?)
    ///     .metrics_histograms(true)
    ///     .build()?;
    /// rt.block_on(rt.spawn(async {})?)??;
    /// // Recorded when the poll returns, which may be just after the
    /// // task's output reached `block_on`.
    /// while rt.metrics().poll_duration.count() == 0 {
    ///     std::thread::yield_now();
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn metrics_histograms(mut self, on: bool) -> Builder {
        self.observe.histograms = on;
        self
    }

    /// Treats a poll that takes `threshold` or longer as slow: counted in
    /// [`Metrics::slow_polls`](crate::Metrics::slow_polls) and, with the
    /// `tracing` feature, reported by a WARN event naming the task and
    /// where it was spawned. No threshold by default; setting one times
    /// every poll (two clock reads). A zero threshold makes every poll slow.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// use std::time::Duration;
    ///
    /// let rt = baton_executor::Runtime::builder()
    ///     .reactor(baton_reactor_epoll::EpollReactor::new()?)
    ///     .slow_poll_threshold(Duration::from_millis(10))
    ///     .build()?;
    /// let blocking = rt.spawn(async { std::thread::sleep(Duration::from_millis(20)) })?;
    /// rt.block_on(blocking)??;
    /// // Counted when the poll returns: maybe just after `block_on` did.
    /// while rt.metrics().slow_polls == 0 {
    ///     std::thread::yield_now();
    /// }
    /// assert_eq!(rt.metrics().slow_polls, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Builder {
        self.observe.slow_poll = Some(threshold);
        self
    }

    /// Starts the runtime's workers.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidState`] without a reactor, for `workers(0)` (or more
    ///   than 65 535), and for a zero interval or blocking-thread bound;
    /// - [`Error::Io`] if a worker thread cannot be started.
    pub fn build(self) -> Result<Runtime, Error> {
        let reactor = self.reactor.ok_or(Error::InvalidState(
            "no reactor: give the runtime one with Builder::reactor",
        ))?;
        if self.workers == 0 {
            return Err(Error::InvalidState(
                "workers(0): a runtime needs at least one worker",
            ));
        }
        if self.workers > Idle::MAX_WORKERS {
            return Err(Error::InvalidState("too many workers (at most 65 535)"));
        }
        if self.global_queue_interval == 0 || self.event_interval == 0 {
            return Err(Error::InvalidState("a scheduling interval of zero"));
        }
        if self.max_blocking == 0 {
            return Err(Error::InvalidState("max_blocking_threads(0)"));
        }
        let queues: Vec<Queue<_>> = (0..self.workers).map(|_| Queue::new_fifo()).collect();
        let stealers = queues.iter().map(Queue::stealer).collect();
        let pool = Pool::new(PoolConfig {
            max_threads: self.max_blocking,
            keep_alive: self.keep_alive,
            thread_name: format!("{}-blocking", self.thread_name),
            stack_size: self.stack_size,
        });
        let config = Config {
            instrument: Instrument {
                check_lost: self.check_lost,
                poll_timing: self.poll_timing,
            },
            global_queue_interval: self.global_queue_interval,
            event_interval: self.event_interval,
            shuffle: self.shuffle,
            observe: self.observe,
        };
        let shared = Arc::new(Shared::new(
            context::next_executor_id(),
            stealers,
            Driver::new(Arc::clone(&reactor)),
            config,
            pool,
        ));
        let core = Core::new(&shared);
        let spawner = Spawner {
            shared: Arc::clone(&shared),
            core: core.clone(),
        };
        let handle = Handle::new(reactor, Arc::new(spawner));
        let prefix = self.thread_name;
        let threads = ThreadConfig {
            name: Arc::new(move |index| format!("{prefix}-{index}")),
            stack_size: self.stack_size,
            on_start: self.on_start,
            on_stop: self.on_stop,
        };
        let runtime = Runtime {
            shared,
            core,
            handle,
        };
        // On failure, dropping `runtime` stops the workers already started.
        worker::start(&runtime.shared, &runtime.handle, queues, &threads)?;
        Ok(runtime)
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("reactor", &self.reactor.is_some())
            .field("workers", &self.workers)
            .field("thread_name", &self.thread_name)
            .field("stack_size", &self.stack_size)
            .field("shuffle", &self.shuffle)
            .field("lost_waker_check", &self.check_lost)
            .field("poll_timing", &self.poll_timing)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("event_interval", &self.event_interval)
            .field("max_blocking_threads", &self.max_blocking)
            .field("blocking_keep_alive", &self.keep_alive)
            .field("metrics_histograms", &self.observe.histograms)
            .field("slow_poll_threshold", &self.observe.slow_poll)
            .finish_non_exhaustive()
    }
}
