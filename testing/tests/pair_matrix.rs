//! `each_pair!` and `Matrix`: one body, every reactor × executor pair.

use std::sync::{Arc, Mutex};

use baton_protocol::{Error, Handle, Reactor};
use baton_testing::matrix::{Matrix, Runner};

#[test]
fn each_pair_visits_every_pair_once() {
    let seen = Mutex::new(Vec::new());
    baton_testing::each_pair!(|pair| {
        let reactor: Arc<dyn Reactor> = Arc::new(pair.reactor()?);
        let same = pair.block_on(Arc::clone(&reactor), async {
            // The body runs inside the runtime, on the reactor it was given.
            let current = Handle::current()?;
            Ok::<_, Error>(Arc::ptr_eq(current.reactor(), &reactor))
        })??;
        assert!(same, "on {}", pair.name());
        seen.lock().unwrap().push(pair.name());
        Ok(())
    });
    assert_eq!(
        seen.into_inner().unwrap(),
        ["epoll×local", "epoll×multi", "poll×local", "poll×multi"]
    );
}

#[test]
fn each_pair_names_the_pair_when_the_body_fails() {
    let failed = std::panic::catch_unwind(|| {
        baton_testing::each_pair!(|pair| {
            if pair.executor_name() == "multi" {
                return Err(Error::InvalidState("deliberate"));
            }
            Ok(())
        });
    });
    let message = failed.expect_err("the body failed");
    let message = message.downcast_ref::<String>().expect("a formatted panic");
    assert!(message.contains("on epoll×multi"), "{message}");
    assert!(message.contains("deliberate"), "{message}");
}

#[test]
fn matrix_stops_at_the_first_failure() -> Result<(), Error> {
    let matrix = Matrix::new()
        .executor("one", |reactor| {
            let ex = baton_executor::LocalExecutor::builder()
                .shared_reactor(reactor)
                .build()?;
            Ok(Runner::new(move |future| ex.block_on(future)))
        })
        .executor("two", |_reactor| {
            Err(Error::Unsupported("no such executor"))
        });
    assert_eq!(matrix.executor_names().collect::<Vec<_>>(), ["one", "two"]);
    let mut runs = 0;
    let failure = matrix
        .run("epoll", baton_reactor_epoll::EpollReactor::new, |pair| {
            runs += 1;
            pair.run(async {})
        })
        .expect_err("the second executor cannot be built");
    assert_eq!(runs, 2);
    assert_eq!(failure.pair, "epoll×two");
    assert!(matches!(failure.error, Error::Unsupported(_)));
    assert_eq!(
        failure.to_string(),
        "on epoll×two: unsupported: no such executor"
    );
    Ok(())
}

#[test]
fn run_all_goes_on_past_errors_and_panics() {
    let matrix = ["a", "b", "c"].into_iter().fold(Matrix::new(), |m, name| {
        m.executor(name, |reactor| {
            let ex = baton_executor::LocalExecutor::builder()
                .shared_reactor(reactor)
                .build()?;
            Ok(Runner::new(move |future| ex.block_on(future)))
        })
    });
    let mut ran = Vec::new();
    let failures = matrix.run_all("epoll", baton_reactor_epoll::EpollReactor::new, |pair| {
        ran.push(pair.executor_name().to_owned());
        match pair.executor_name() {
            "a" => Err(Error::InvalidState("deliberate")),
            "b" => panic!("deliberate panic"),
            _ => Ok(()),
        }
    });
    assert_eq!(ran, ["a", "b", "c"], "every pair ran");
    let failed: Vec<_> = failures.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        failed,
        [
            "on epoll×a: invalid state: deliberate",
            "on epoll×b: task panicked: deliberate panic"
        ]
    );
}
