//! How a backend is described to the suite: a reactor factory, an executor
//! factory, and what each can do.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use baton_protocol::{Error, Handle, Reactor};

/// An executor as the suite drives it. Implement it for your runtime: it is
/// a thin adapter over `block_on`, the runtime's [`Handle`] and its shutdown.
///
/// It need not be `Send` or `Sync`: a single-thread executor lives on the
/// case's thread. An executor that several threads may drive at once says so
/// through [`shared`](Executor::shared).
pub trait Executor {
    /// The runtime's handle: its reactor and spawner.
    fn handle(&self) -> Handle;

    /// Runs `future` to completion on the calling thread, with the runtime
    /// entered, while the runtime's tasks run.
    ///
    /// # Errors
    ///
    /// The executor's error for a `block_on` it refuses (called from inside
    /// one of its own tasks, or after shutdown).
    ///
    /// # Panics
    ///
    /// A panic in `future` propagates to the caller.
    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) -> Result<(), Error>;

    /// Shuts the runtime down: every task's future is dropped exactly once,
    /// later spawns fail with [`Error::Shutdown`]. Idempotent.
    ///
    /// # Errors
    ///
    /// The executor's error when called from inside one of its own tasks.
    fn shutdown(&self) -> Result<(), Error>;

    /// A view of this executor that other threads and tasks may hold and
    /// call `block_on` on, for executors that are `Send + Sync` and allow
    /// several `block_on` callers at once ([`Need::ConcurrentBlockOn`]).
    /// `None` (the default) otherwise.
    fn shared(&self) -> Option<Arc<dyn Executor + Send + Sync>> {
        None
    }
}

/// Something a case needs that a backend may lack. A case whose needs a pair
/// does not meet is reported as a named skip, with [`Need::reason`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Need {
    /// Measures elapsed wall-clock time against `Instant::now()`.
    WallClock,
    /// The reactor's clock is virtual and jumps when the runtime is idle.
    VirtualTime,
    /// The executor runs tasks on more than one thread at once.
    MultiThread,
    /// Several threads may call `block_on` on one runtime at the same time.
    ConcurrentBlockOn,
    /// Deterministic I/O: no injected faults (spurious wake-ups, short reads).
    NoFaults,
    /// The executor starts tasks in the order they became runnable (one
    /// worker, no shuffle).
    Fifo,
    /// The runtime's blocking pool has exactly 64 threads at most
    /// (baton-executor's default), so a case can fill it, and cancels the
    /// jobs still queued when the runtime shuts down.
    BlockingShutdown,
}

impl Need {
    /// Every need, for listing.
    pub const ALL: [Need; 7] = [
        Need::WallClock,
        Need::VirtualTime,
        Need::MultiThread,
        Need::ConcurrentBlockOn,
        Need::NoFaults,
        Need::Fifo,
        Need::BlockingShutdown,
    ];

    /// Why a pair without this need skips the case.
    pub fn reason(self) -> &'static str {
        match self {
            Need::WallClock => "needs wall-clock time; this reactor's clock is virtual",
            Need::VirtualTime => "needs a virtual-time reactor",
            Need::MultiThread => "needs an executor with several worker threads",
            Need::ConcurrentBlockOn => "needs block_on from several threads at once",
            Need::NoFaults => "counts exact wake-ups; this reactor injects faults",
            Need::Fifo => "checks run order; this executor does not promise FIFO order",
            Need::BlockingShutdown => {
                "fills a 64-thread blocking pool and shuts it down; this pool is another width"
            }
        }
    }

    /// The need's short name, as `--list` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Need::WallClock => "wall-clock",
            Need::VirtualTime => "virtual-time",
            Need::MultiThread => "multi-thread",
            Need::ConcurrentBlockOn => "concurrent-block-on",
            Need::NoFaults => "no-faults",
            Need::Fifo => "fifo",
            Need::BlockingShutdown => "blocking-shutdown",
        }
    }
}

type ReactorBuild = dyn Fn(u64) -> Result<Arc<dyn Reactor>, Error> + Send + Sync;
type ExecutorBuild =
    dyn Fn(Arc<dyn Reactor>, u64) -> Result<Box<dyn Executor>, Error> + Send + Sync;

/// How to build one kind of reactor, and what it provides.
#[derive(Clone)]
pub struct ReactorSpec {
    pub(crate) name: String,
    pub(crate) provides: Vec<Need>,
    pub(crate) build: Arc<ReactorBuild>,
}

impl ReactorSpec {
    /// A real-time reactor named `name`, built by `build` with the case's
    /// seed (for decorators that inject faults; others ignore it).
    pub fn new<R, F>(name: impl Into<String>, build: F) -> Self
    where
        R: Reactor + 'static,
        F: Fn(u64) -> Result<R, Error> + Send + Sync + 'static,
    {
        ReactorSpec {
            name: name.into(),
            provides: vec![Need::WallClock, Need::NoFaults],
            build: Arc::new(move |seed| Ok(Arc::new(build(seed)?) as Arc<dyn Reactor>)),
        }
    }

    /// Replaces what the reactor provides: a virtual-time decorator provides
    /// [`Need::VirtualTime`] but not [`Need::WallClock`], a fault injector
    /// lacks [`Need::NoFaults`].
    pub fn provides(mut self, needs: &[Need]) -> Self {
        self.provides = needs.to_vec();
        self
    }

    /// The reactor's name, as the report shows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Builds a fresh reactor.
    ///
    /// # Errors
    ///
    /// Whatever the factory returns.
    pub fn build(&self, seed: u64) -> Result<Arc<dyn Reactor>, Error> {
        (self.build)(seed)
    }
}

impl fmt::Debug for ReactorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReactorSpec")
            .field("name", &self.name)
            .field("provides", &self.provides)
            .finish_non_exhaustive()
    }
}

/// How to build one kind of executor over a given reactor, and what it
/// provides.
#[derive(Clone)]
pub struct ExecutorSpec {
    pub(crate) name: String,
    pub(crate) tag: String,
    pub(crate) provides: Vec<Need>,
    pub(crate) build: Arc<ExecutorBuild>,
}

impl ExecutorSpec {
    /// An executor named `name`, built over the case's reactor with the
    /// case's seed (for a shuffling executor; others ignore it). It provides
    /// nothing beyond the basics until [`provides`](Self::provides) says so.
    pub fn new<E, F>(name: impl Into<String>, build: F) -> Self
    where
        E: Executor + 'static,
        F: Fn(Arc<dyn Reactor>, u64) -> Result<E, Error> + Send + Sync + 'static,
    {
        let name = name.into();
        ExecutorSpec {
            tag: name.chars().take(3).collect(),
            name,
            provides: Vec::new(),
            build: Arc::new(move |reactor, seed| {
                Ok(Box::new(build(reactor, seed)?) as Box<dyn Executor>)
            }),
        }
    }

    /// Declares what the executor provides ([`Need::MultiThread`],
    /// [`Need::ConcurrentBlockOn`], [`Need::Fifo`]).
    pub fn provides(mut self, needs: &[Need]) -> Self {
        self.provides = needs.to_vec();
        self
    }

    /// Sets the short column heading of the matrix table (the first three
    /// characters of the name by default); the legend gives the full name.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = tag.into();
        self
    }

    /// The executor's name, as the report shows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Builds a fresh executor over `reactor`.
    ///
    /// # Errors
    ///
    /// Whatever the factory returns.
    pub fn build(&self, reactor: Arc<dyn Reactor>, seed: u64) -> Result<Box<dyn Executor>, Error> {
        (self.build)(reactor, seed)
    }
}

impl fmt::Debug for ExecutorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutorSpec")
            .field("name", &self.name)
            .field("provides", &self.provides)
            .finish_non_exhaustive()
    }
}

/// One cell column of the matrix: a reactor and an executor.
#[derive(Clone, Debug)]
pub struct Pair {
    pub(crate) reactor: ReactorSpec,
    pub(crate) executor: ExecutorSpec,
}

impl Pair {
    /// The pair's name, `reactor×executor`.
    pub fn name(&self) -> String {
        format!("{}×{}", self.reactor.name, self.executor.name)
    }

    /// Whether the pair provides `need`.
    pub fn provides(&self, need: Need) -> bool {
        self.reactor.provides.contains(&need) || self.executor.provides.contains(&need)
    }

    /// The first need of `needs` the pair lacks, if any.
    pub fn missing(&self, needs: &[Need]) -> Option<Need> {
        needs.iter().copied().find(|n| !self.provides(*n))
    }
}
