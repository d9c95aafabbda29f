//! The portable spawning layer (`spawn`, `JoinHandle`, `TaskGroup`) over a
//! minimal `Spawn` implementation: what the protocol writes once for every
//! executor.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};

use baton_protocol::testing::Stepper;
use baton_protocol::{Error, Promise, TaskGroup, spawn};
use util::{DropCounter, TestRuntime};

#[test]
fn spawn_and_join_a_value() {
    let rt = TestRuntime::new();
    let handle = {
        let _entered = rt.handle.enter();
        spawn(async { 6 * 7 }).unwrap()
    };
    let mut join = Stepper::new(handle);
    assert!(join.step().is_pending());
    rt.run_until_idle();
    assert!(join.woken());
    assert_eq!(join.step().ready().transpose().unwrap(), Some(42));
}

#[test]
fn abort_before_the_first_poll_never_polls() {
    static POLLS: AtomicUsize = AtomicUsize::new(0);
    let rt = TestRuntime::new();
    let drops = DropCounter::default();
    let token = drops.token();
    let mut handle = rt
        .handle
        .spawn(async move {
            let _token = token;
            POLLS.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    handle.abort();
    rt.run_until_idle();
    assert_eq!(POLLS.load(Ordering::SeqCst), 0);
    assert_eq!(drops.drops(), 1);
    assert!(matches!(
        Stepper::new(handle).step().ready(),
        Some(Err(Error::Cancelled(None)))
    ));
}

#[test]
fn a_panic_is_reported_through_join() {
    let rt = TestRuntime::new();
    let handle = rt
        .handle
        .spawn(async { panic!("task failed on purpose") })
        .unwrap();
    rt.run_until_idle();
    match Stepper::new(handle).step().ready() {
        Some(Err(Error::Panicked(text))) => assert_eq!(text, "task failed on purpose"),
        other => panic!("expected the panic, got {other:?}"),
    }
}

#[test]
fn a_failing_child_cancels_its_siblings() {
    let rt = TestRuntime::new();
    let _entered = rt.handle.enter();
    let group = TaskGroup::new();
    let never = Promise::<u32>::new();
    let awaited = never.clone();
    let sibling = group.spawn(async move { awaited.await }).unwrap();
    let failing = group
        .spawn(async { Err::<u32, _>(Error::Elapsed) })
        .unwrap();

    rt.run_until_idle();
    assert!(matches!(
        Stepper::new(group.join()).step().ready(),
        Some(Err(Error::Elapsed))
    ));
    assert!(matches!(
        Stepper::new(sibling).step().ready(),
        Some(Err(Error::Cancelled(None)))
    ));
    assert!(matches!(
        Stepper::new(failing).step().ready(),
        Some(Err(Error::Elapsed))
    ));
    assert!(matches!(
        group.spawn(async { Ok(()) }),
        Err(Error::InvalidState(_))
    ));
    // Decision 9 again: the cancelled child leaves its Promise settable.
    assert!(never.set_result(1).is_ok());
}
