//! `promise.pending_then_result`: a new Promise is pending; `set_result`
//! finishes it once and for all.

use baton_protocol::testing::Stepper;
use baton_protocol::wait::WaitFor;
use baton_protocol::{Error, Promise};

#[test]
fn a_new_promise_is_pending() {
    let promise = Promise::<u32>::new();
    assert!(!promise.done());
    assert!(!promise.cancelled());
    assert!(matches!(promise.result(), Err(Error::InvalidState(_))));
    assert!(matches!(promise.error(), Err(Error::InvalidState(_))));
}

#[test]
fn ids_are_unique_and_reported_while_waiting() {
    let a = Promise::<u32>::new();
    let b = Promise::<u32>::new();
    assert_ne!(a.id(), b.id());
    assert_eq!(a.clone().id(), a.id());

    let mut waiter = Stepper::new(&b);
    assert_eq!(waiter.step().waits_on(), Some(WaitFor::Promise(b.id())));
}

#[test]
fn set_result_finishes_once() -> Result<(), Error> {
    let promise = Promise::new();
    let mut waiter = Stepper::new(&promise);
    assert!(waiter.step().is_pending());
    assert!(!waiter.woken());

    promise.set_result(5)?;
    assert!(promise.done());
    assert!(!promise.cancelled());
    assert_eq!(promise.result()?, 5);
    assert!(promise.error()?.is_none());
    assert!(waiter.woken());
    assert_eq!(waiter.step().ready().transpose()?, Some(5));

    assert!(matches!(promise.set_result(6), Err(Error::InvalidState(_))));
    assert!(matches!(
        promise.set_error(Error::Closed),
        Err(Error::InvalidState(_))
    ));
    assert!(!promise.cancel());
    assert!(!promise.cancel_with("too late"));
    assert!(!promise.cancelled());
    assert_eq!(promise.result()?, 5);
    Ok(())
}

#[test]
fn clones_share_one_promise() -> Result<(), Error> {
    let promise = Promise::new();
    let clone = promise.clone();
    clone.set_result("shared")?;
    assert!(promise.done());
    assert_eq!(promise.result()?, "shared");
    Ok(())
}
