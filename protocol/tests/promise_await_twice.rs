//! `promise.await_twice_and_across_executors` (the part without a reactor):
//! awaiting a done Promise does not suspend, however often.

mod util;

use std::future::IntoFuture;

use baton_protocol::testing::{Step, Stepper};
use baton_protocol::{Error, Promise};

#[test]
fn a_done_promise_is_ready_at_the_first_poll() -> Result<(), Error> {
    let promise = Promise::new();
    promise.set_result(String::from("value"))?;
    for _ in 0..3 {
        let mut waiter = Stepper::new(&promise);
        assert_eq!(waiter.step().ready().transpose()?.as_deref(), Some("value"));
        assert!(matches!(waiter.step(), Step::Finished));
    }
    // By value too, and the Promise is still readable afterwards.
    let mut waiter = Stepper::new(promise.clone());
    assert_eq!(waiter.step().ready().transpose()?.as_deref(), Some("value"));
    assert_eq!(promise.result()?, "value");
    Ok(())
}

#[test]
fn one_coroutine_awaits_it_twice() -> Result<(), Error> {
    let promise = Promise::<u32>::new();
    let awaited = promise.clone();
    let mut coroutine = Stepper::new(async move {
        let first = (&awaited).await?;
        let second = (&awaited).await?;
        let third = awaited.await?;
        Ok::<_, Error>(first + second + third)
    });
    assert!(coroutine.step().is_pending());
    promise.set_result(2)?;
    // One wake-up, one step: the second and third awaits did not suspend.
    assert_eq!(coroutine.step().ready().transpose()?, Some(6));
    Ok(())
}

#[test]
fn a_wait_polled_again_after_ready_answers_again() {
    let promise = Promise::<u32>::new();
    promise.set_result(1).unwrap();
    let wait = (&promise).into_future();
    let (_counter, waker) = util::WakeCounter::new();
    let mut cx = std::task::Context::from_waker(&waker);
    let mut wait = std::pin::pin!(wait);
    for _ in 0..2 {
        assert!(matches!(
            wait.as_mut().poll(&mut cx),
            std::task::Poll::Ready(Ok(1))
        ));
    }
}
