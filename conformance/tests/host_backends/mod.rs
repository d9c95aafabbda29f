//! The hosts, described to the suite.

mod smol;
mod tokio;

use baton_conformance::{ExecutorSpec, Need, ReactorSpec, Suite};
use baton_host_tokio::TokioReactor;
use baton_reactor_epoll::EpollReactor;
use baton_reactor_poll::PollReactor;
use baton_reactor_uring::UringReactor;
use baton_testing::Chaos;

/// The suite over every reactor a host can drive, with every host.
pub(crate) fn suite() -> Suite {
    let mut reactors = vec![
        ReactorSpec::new("epoll", |_| EpollReactor::new()),
        ReactorSpec::new("poll", |_| PollReactor::new()),
        ReactorSpec::new("chaos(epoll)", |seed| {
            Ok(Chaos::new(EpollReactor::new()?, seed))
        })
        .provides(&[Need::WallClock]),
    ];
    // io_uring only where the kernel allows it (the reason is printed by
    // the matrix runner, which probes it too).
    if UringReactor::new().is_ok() {
        reactors.push(ReactorSpec::new("uring", |_| UringReactor::new()));
    }
    let executors = [
        ExecutorSpec::new("tokio-ct", |reactor, _| tokio::tokio(reactor, None))
            .tag("Tc")
            .provides(&[]),
        ExecutorSpec::new("tokio-mt4", |reactor, _| tokio::tokio(reactor, Some(4)))
            .tag("Tm4")
            .provides(&[Need::MultiThread, Need::ConcurrentBlockOn]),
        ExecutorSpec::new("smol-local", |reactor, _| smol::smol(reactor, 0))
            .tag("Sl")
            .provides(&[Need::ConcurrentBlockOn]),
        ExecutorSpec::new("smol-mt4", |reactor, _| smol::smol(reactor, 4))
            .tag("Sm4")
            .provides(&[Need::MultiThread, Need::ConcurrentBlockOn]),
    ];
    let mut suite = Suite::new();
    for reactor in reactors {
        suite = suite.reactor(reactor);
    }
    // tokio's native reactor registers with tokio's own: tokio hosts only,
    // bare and under `Chaos`.
    for executor in &executors[..2] {
        suite = suite
            .pair(
                ReactorSpec::new("tokio", |_| TokioReactor::new()),
                executor.clone(),
            )
            .pair(
                ReactorSpec::new("chaos(tokio)", |seed| {
                    Ok(Chaos::new(TokioReactor::new()?, seed))
                })
                .provides(&[Need::WallClock]),
                executor.clone(),
            );
    }
    for executor in executors {
        suite = suite.executor(executor);
    }
    suite
}
