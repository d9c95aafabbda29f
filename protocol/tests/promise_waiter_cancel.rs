//! `promise.waiter_cancel_semantics` (Decision 9): dropping or aborting the
//! task that awaits a Promise leaves the Promise settable; only
//! `Promise::cancel` cancels it.

mod util;

use baton_protocol::testing::Stepper;
use baton_protocol::{Error, Promise};
use util::TestRuntime;

#[test]
fn dropping_the_awaiting_future_leaves_the_promise_settable() -> Result<(), Error> {
    let promise = Promise::<u32>::new();
    let mut dropped = Stepper::new(&promise);
    assert!(dropped.step().is_pending());
    let mut kept = Stepper::new(&promise);
    assert!(kept.step().is_pending());
    drop(dropped);

    assert!(!promise.done());
    assert!(!promise.cancelled());
    promise.set_result(3)?;
    assert!(kept.woken());
    assert_eq!(kept.step().ready().transpose()?, Some(3));
    Ok(())
}

#[test]
fn aborting_the_awaiting_task_leaves_the_promise_settable() -> Result<(), Error> {
    let rt = TestRuntime::new();
    let promise = Promise::<u32>::new_in(&rt.handle);
    let awaited = promise.clone();
    let mut task = rt.handle.spawn(async move { awaited.await })?;
    rt.run_until_idle();
    assert!(!task.is_finished());

    task.abort();
    rt.run_until_idle();
    assert!(task.is_finished());
    let mut join = Stepper::new(task);
    assert!(matches!(
        join.step().ready(),
        Some(Err(Error::Cancelled(None)))
    ));

    assert!(!promise.cancelled());
    promise.set_result(1)?;
    assert_eq!(promise.result()?, 1);
    Ok(())
}

#[test]
fn cancelling_the_promise_ends_the_waiters() {
    let promise = Promise::<u32>::new();
    let mut waiter = Stepper::new(&promise);
    assert!(waiter.step().is_pending());
    assert!(promise.cancel());
    assert!(waiter.woken());
    assert!(matches!(
        waiter.step().ready(),
        Some(Err(Error::Cancelled(None)))
    ));
}
