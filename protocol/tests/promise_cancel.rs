//! `promise.cancel`: cancelling succeeds once, carries its message, and
//! makes the Promise done.

use baton_protocol::testing::Stepper;
use baton_protocol::{Error, Promise};

#[test]
fn cancel_returns_true_once() {
    let promise = Promise::<u32>::new();
    assert!(promise.cancel());
    assert!(!promise.cancel());
    assert!(!promise.cancel_with("again"));
    assert!(promise.cancelled());
    assert!(promise.done());
    assert!(matches!(promise.result(), Err(Error::Cancelled(None))));
    assert!(matches!(promise.error(), Err(Error::Cancelled(None))));
}

#[test]
fn the_message_reaches_every_reader() {
    let promise = Promise::<u32>::new();
    let mut waiter = Stepper::new(&promise);
    assert!(waiter.step().is_pending());

    assert!(promise.cancel_with("shutting down"));
    assert!(waiter.woken());
    let message = |r: Result<_, Error>| match r {
        Err(Error::Cancelled(m)) => m,
        other => panic!("expected Cancelled, got {other:?}"),
    };
    let expected = Some("shutting down".to_owned());
    assert_eq!(message(promise.result()), expected);
    assert_eq!(message(promise.error().map(|_| 0)), expected);
    assert_eq!(message(waiter.step().ready().unwrap()), expected);
}

#[test]
fn completion_after_cancel_is_refused() {
    let promise = Promise::<u32>::new();
    promise.cancel();
    assert!(matches!(promise.set_result(1), Err(Error::InvalidState(_))));
    assert!(matches!(
        promise.set_error(Error::Closed),
        Err(Error::InvalidState(_))
    ));
    assert!(promise.cancelled());
}
