//! A pending `Wait` keeps one waker in the Promise: repeated polls replace
//! it, a dropped wait removes it, completion wakes and releases them all.

mod util;

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use baton_protocol::Promise;
use util::WakeCounter;

/// Clones of a counter's waker that are alive besides the counter itself and
/// the test's own waker.
fn stored(counter: &Arc<WakeCounter>) -> usize {
    Arc::strong_count(counter) - 2
}

#[test]
fn repeated_polls_with_one_task_store_one_waker() {
    let promise = Promise::<u32>::new();
    let (counter, waker) = WakeCounter::new();
    let mut wait = pin!((&promise).into_future());
    for _ in 0..1_000 {
        assert!(
            wait.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
    }
    assert_eq!(stored(&counter), 1);
}

#[test]
fn a_new_waker_replaces_the_old_one() {
    let promise = Promise::<u32>::new();
    let (first, first_waker) = WakeCounter::new();
    let (second, second_waker) = WakeCounter::new();
    let mut wait = pin!((&promise).into_future());
    let _ = wait.as_mut().poll(&mut Context::from_waker(&first_waker));
    let _ = wait.as_mut().poll(&mut Context::from_waker(&second_waker));
    assert_eq!(stored(&first), 0);
    assert_eq!(stored(&second), 1);

    promise.set_result(0).unwrap();
    assert_eq!(first.wakes(), 0);
    assert_eq!(second.wakes(), 1);
}

#[test]
fn a_dropped_wait_removes_its_waker() {
    let promise = Promise::<u32>::new();
    let (counter, waker) = WakeCounter::new();
    for _ in 0..100 {
        let mut wait = Box::pin((&promise).into_future());
        let _ = wait.as_mut().poll(&mut Context::from_waker(&waker));
        assert_eq!(stored(&counter), 1);
    }
    assert_eq!(stored(&counter), 0);
    promise.set_result(0).unwrap();
    assert_eq!(counter.wakes(), 0, "a dropped wait was woken");
}

#[test]
fn completion_wakes_every_waiter_once_and_releases_them() {
    let promise = Promise::<u32>::new();
    let counters: Vec<_> = (0..5).map(|_| WakeCounter::new()).collect();
    let mut waits: Vec<_> = counters
        .iter()
        .map(|(_, waker)| {
            let mut wait = Box::pin((&promise).into_future());
            let _ = wait.as_mut().poll(&mut Context::from_waker(waker));
            wait
        })
        .collect();
    promise.set_result(8).unwrap();
    for (counter, _) in &counters {
        assert_eq!(counter.wakes(), 1);
        assert_eq!(stored(counter), 0);
    }
    for (wait, (_, waker)) in waits.iter_mut().zip(&counters) {
        assert!(matches!(
            wait.as_mut().poll(&mut Context::from_waker(waker)),
            Poll::Ready(Ok(8))
        ));
    }
}
