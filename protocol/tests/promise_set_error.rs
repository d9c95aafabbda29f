//! `promise.set_error`: a Promise finished with an error hands it to every
//! reader and refuses further completion.

use std::io;

use baton_protocol::testing::Stepper;
use baton_protocol::{Error, Promise};

/// `ECONNRESET` on Linux; any OS code would do.
const ECONNRESET: i32 = 104;

#[derive(Debug, thiserror::Error)]
#[error("the config file is malformed")]
struct Malformed;

#[test]
fn result_and_error_give_the_error() {
    let promise = Promise::<u32>::new();
    promise.set_error(Error::custom(Malformed)).unwrap();

    assert!(promise.done());
    assert!(!promise.cancelled());
    let from_result = promise.result().unwrap_err();
    assert!(from_result.downcast_ref::<Malformed>().is_some());
    let from_error = promise.error().unwrap().unwrap();
    assert!(from_error.downcast_ref::<Malformed>().is_some());
}

#[test]
fn further_completion_is_refused() {
    let promise = Promise::<u32>::new();
    promise.set_error(Error::Closed).unwrap();
    assert!(matches!(promise.set_result(1), Err(Error::InvalidState(_))));
    assert!(matches!(
        promise.set_error(Error::Elapsed),
        Err(Error::InvalidState(_))
    ));
    assert!(!promise.cancel());
    assert!(matches!(promise.result(), Err(Error::Closed)));
}

#[test]
fn awaiting_gives_the_error() {
    let promise = Promise::<u32>::new();
    let mut waiter = Stepper::new(&promise);
    assert!(waiter.step().is_pending());
    promise
        .set_error(Error::Io(io::Error::from_raw_os_error(ECONNRESET)))
        .unwrap();
    assert!(waiter.woken());
    match waiter.step().ready() {
        Some(Err(Error::Io(e))) => assert_eq!(e.raw_os_error(), Some(ECONNRESET)),
        other => panic!("expected the I/O error, got {other:?}"),
    }
}
