//! baton's reactors and executors, described to the suite, and the
//! mutants the suite must catch.

mod mutants;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use baton_conformance::{Executor, ExecutorSpec, Need, ReactorSpec, Suite};
use baton_executor::{LocalExecutor, Runtime};
use baton_protocol::{Error, Handle, Reactor};
use baton_reactor_epoll::EpollReactor;
use baton_reactor_poll::PollReactor;
use baton_reactor_uring::UringReactor;
use baton_testing::{Chaos, VirtualTime};

/// The suite with every reactor and executor of this build.
pub(crate) fn suite() -> Suite {
    let mut suite = Suite::new();
    for reactor in reactors() {
        suite = suite.reactor(reactor);
    }
    for executor in executors() {
        suite = suite.executor(executor);
    }
    mutants::add(suite)
}

/// The reactors: in the poll(2) build only the polling reactor, under the
/// name `poll2`; otherwise epoll, poll and io_uring, in readiness and in
/// completion mode (`uring-c`) (io_uring only where the kernel allows it:
/// elsewhere its columns are left out, and the reason printed). Each also runs under the test decorators of `baton-testing`:
/// virtual time (`vt(..)`) and seeded fault injection (`chaos(..)`).
pub(crate) fn reactors() -> Vec<ReactorSpec> {
    let families = if cfg!(polling_test_poll_backend) {
        vec![family("poll2", PollReactor::new)]
    } else {
        let mut families = vec![
            family("epoll", EpollReactor::new),
            family("poll", PollReactor::new),
        ];
        match UringReactor::new() {
            Ok(_) => {
                families.push(family("uring", UringReactor::new));
                // Completion mode: the owned-buffer operations run on the
                // ring; everything else is the readiness column's.
                families.push(family("uring-c", || {
                    UringReactor::builder().completion(true).build()
                }));
            }
            Err(Error::Unsupported(why)) => {
                eprintln!("conformance: skipping the uring column: {why}");
            }
            Err(e) => {
                eprintln!("conformance: skipping the uring column: io_uring setup failed: {e}")
            }
        }
        families
    };
    // Plain reactors first, then every virtual-time row, then every chaos row.
    (0..3)
        .flat_map(|row| families.iter().map(move |f| f[row].clone()))
        .collect()
}

/// A reactor, and the same reactor under virtual time and under seeded
/// fault injection.
fn family<R: Reactor + 'static>(name: &str, build: fn() -> Result<R, Error>) -> [ReactorSpec; 3] {
    [
        ReactorSpec::new(name, move |_| build()),
        // Virtual time: the clock is fake (no wall-clock cases), the I/O real.
        ReactorSpec::new(format!("vt({name})"), move |_| {
            Ok(VirtualTime::new(build()?))
        })
        .provides(&[Need::VirtualTime, Need::NoFaults]),
        // Faults from the case's seed: wall-clock time, but no exact
        // wake-up counts.
        ReactorSpec::new(format!("chaos({name})"), move |seed| {
            Ok(Chaos::new(build()?, seed))
        })
        .provides(&[Need::WallClock]),
    ]
}

/// The executors: local (FIFO), local with a seeded shuffle of its ready
/// queue, and the multi-thread runtime with 1 and with 4 workers.
pub(crate) fn executors() -> Vec<ExecutorSpec> {
    vec![
        ExecutorSpec::new("local", |reactor, _| local(reactor, None))
            .tag("L")
            .provides(&[Need::Fifo, Need::BlockingShutdown]),
        ExecutorSpec::new("local-shuffle", |reactor, seed| local(reactor, Some(seed)))
            .tag("Ls")
            .provides(&[Need::BlockingShutdown]),
        ExecutorSpec::new("mt1", |reactor, _| multi(reactor, 1))
            .tag("M1")
            .provides(&[Need::ConcurrentBlockOn, Need::BlockingShutdown]),
        ExecutorSpec::new("mt4", |reactor, _| multi(reactor, 4))
            .tag("M4")
            .provides(&[
                Need::MultiThread,
                Need::ConcurrentBlockOn,
                Need::BlockingShutdown,
            ]),
    ]
}

/// A [`LocalExecutor`] as the suite drives it.
pub(crate) struct Local(LocalExecutor);

/// Builds a local executor, shuffled with `seed` if given.
pub(crate) fn local(reactor: Arc<dyn Reactor>, shuffle: Option<u64>) -> Result<Local, Error> {
    let mut builder = LocalExecutor::builder().shared_reactor(reactor);
    if let Some(seed) = shuffle {
        builder = builder.shuffle(seed);
    }
    builder.build().map(Local)
}

impl Executor for Local {
    fn handle(&self) -> Handle {
        self.0.handle().clone()
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) -> Result<(), Error> {
        self.0.block_on(future)
    }

    fn shutdown(&self) -> Result<(), Error> {
        self.0.shutdown()
    }
}

/// A multi-thread [`Runtime`] as the suite drives it; shareable, so several
/// threads may `block_on` it at once.
pub(crate) struct Multi(Arc<Runtime>);

/// How long a conformance shutdown may wait for a task stuck in its poll.
const SHUTDOWN: Duration = Duration::from_secs(10);

/// Builds a multi-thread runtime with `workers` workers.
pub(crate) fn multi(reactor: Arc<dyn Reactor>, workers: usize) -> Result<Multi, Error> {
    Runtime::builder()
        .shared_reactor(reactor)
        .workers(workers)
        .build()
        .map(|rt| Multi(Arc::new(rt)))
}

impl Executor for Multi {
    fn handle(&self) -> Handle {
        self.0.handle().clone()
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) -> Result<(), Error> {
        self.0.block_on(future)
    }

    fn shutdown(&self) -> Result<(), Error> {
        self.0.shutdown_timeout(SHUTDOWN)
    }

    fn shared(&self) -> Option<Arc<dyn Executor + Send + Sync>> {
        Some(Arc::new(Multi(Arc::clone(&self.0))))
    }
}
