//! `promise.unretrieved_error_reported`: an error nobody read is reported
//! once, when the last reference goes; nothing else is ever reported.

mod util;

use std::sync::{Arc, Mutex};

use baton_protocol::testing::Stepper;
use baton_protocol::{Error, Promise};
use util::TestRuntime;

/// A runtime whose error hook records what it is given.
fn recording_runtime() -> (TestRuntime, Arc<Mutex<Vec<String>>>) {
    let rt = TestRuntime::new();
    let reported = Arc::new(Mutex::new(Vec::new()));
    let hook = Arc::clone(&reported);
    rt.handle
        .set_error_hook(move |e| hook.lock().unwrap().push(format!("{e:?}")));
    (rt, reported)
}

#[test]
fn reported_once_when_the_last_reference_drops() {
    let (rt, reported) = recording_runtime();
    let promise = Promise::<u32>::new_in(&rt.handle);
    let clone = promise.clone();
    promise.set_error(Error::Closed).unwrap();
    drop(promise);
    assert!(
        reported.lock().unwrap().is_empty(),
        "a clone is still alive"
    );
    drop(clone);
    assert_eq!(*reported.lock().unwrap(), ["Closed"]);
}

#[test]
fn a_pending_wait_keeps_it_alive_until_dropped() {
    let (rt, reported) = recording_runtime();
    let promise = Promise::<u32>::new_in(&rt.handle);
    let mut waiter = Stepper::new(&promise);
    assert!(waiter.step().is_pending());
    promise.set_error(Error::Elapsed).unwrap();
    drop(promise);
    assert!(reported.lock().unwrap().is_empty());
    // The waiter is dropped without reading: still unretrieved.
    drop(waiter);
    assert_eq!(*reported.lock().unwrap(), ["Elapsed"]);
}

#[test]
fn never_reported_once_retrieved_cancelled_or_successful() {
    let (rt, reported) = recording_runtime();
    let new = || Promise::<u32>::new_in(&rt.handle);

    let read_by_result = new();
    read_by_result.set_error(Error::Closed).unwrap();
    assert!(read_by_result.result().is_err());

    let read_by_error = new();
    read_by_error.set_error(Error::Closed).unwrap();
    assert!(read_by_error.error().unwrap().is_some());

    let read_by_await = new();
    read_by_await.set_error(Error::Closed).unwrap();
    assert!(matches!(
        Stepper::new(&read_by_await).step().ready(),
        Some(Err(Error::Closed))
    ));

    let cancelled = new();
    cancelled.cancel_with("not needed");

    let finished = new();
    finished.set_result(1).unwrap();

    let pending = new();

    drop((
        read_by_result,
        read_by_error,
        read_by_await,
        cancelled,
        finished,
        pending,
    ));
    assert!(reported.lock().unwrap().is_empty());
}
