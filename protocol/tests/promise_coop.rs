//! Awaiting a Promise spends the cooperative budget like every leaf future,
//! so a loop over done Promises still yields to the executor.

mod util;

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::task::{Context, Poll};

use baton_protocol::{Promise, coop};
use util::WakeCounter;

#[test]
fn a_spent_budget_yields_even_when_done() {
    let promise = Promise::<u32>::new();
    promise.set_result(1).unwrap();
    let (counter, waker) = WakeCounter::new();
    let mut cx = Context::from_waker(&waker);
    let mut wait = pin!((&promise).into_future());

    let spent = coop::with_budget(0, || wait.as_mut().poll(&mut cx));
    assert!(spent.is_pending());
    assert_eq!(counter.wakes(), 1, "the task must be woken to run again");

    let (left, ready) = coop::with_budget(1, || (coop::remaining(), wait.as_mut().poll(&mut cx)));
    assert_eq!(left, Some(1));
    assert!(matches!(ready, Poll::Ready(Ok(1))));
}

#[test]
fn each_poll_spends_one_unit() {
    let promise = Promise::<u32>::new();
    let (_counter, waker) = WakeCounter::new();
    let mut cx = Context::from_waker(&waker);
    let mut wait = pin!((&promise).into_future());
    let left = coop::with_budget(10, || {
        let _ = wait.as_mut().poll(&mut cx);
        let _ = wait.as_mut().poll(&mut cx);
        coop::remaining()
    });
    assert_eq!(left, Some(8));
}
