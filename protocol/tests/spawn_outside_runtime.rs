//! `task.current_handle` without a runtime: spawning and `Handle::current`
//! give `Error::NoRuntime`, never a panic, and the rejected future is
//! dropped.

mod util;

use baton_protocol::task::Builder;
use baton_protocol::{Error, Handle, Spawn, TaskGroup, spawn};
use util::{DropCounter, TestRuntime};

#[test]
fn no_current_handle() {
    assert!(matches!(Handle::current(), Err(Error::NoRuntime)));
    assert!(Handle::try_current().is_none());
}

#[test]
fn spawn_drops_the_future() {
    let drops = DropCounter::default();
    let token = drops.token();
    let result = spawn(async move {
        let _token = token;
    });
    assert!(matches!(result, Err(Error::NoRuntime)));
    assert_eq!(drops.drops(), 1);

    let token = drops.token();
    let named = Builder::new().name("worker").spawn(async move {
        let _token = token;
    });
    assert!(matches!(named, Err(Error::NoRuntime)));
    assert_eq!(drops.drops(), 2);
}

#[test]
fn task_group_spawn_drops_the_future() {
    let drops = DropCounter::default();
    let token = drops.token();
    let group = TaskGroup::new();
    let result = group.spawn(async move {
        let _token = token;
        Ok(())
    });
    assert!(matches!(result, Err(Error::NoRuntime)));
    assert_eq!(drops.drops(), 1);
    assert!(group.is_empty());
}

#[test]
fn a_left_runtime_is_no_longer_current() {
    let rt = TestRuntime::new();
    {
        let _entered = rt.handle.enter();
        assert!(Handle::current().unwrap().same_runtime(&rt.handle));
    }
    assert!(matches!(Handle::current(), Err(Error::NoRuntime)));
    assert!(matches!(spawn(async {}), Err(Error::NoRuntime)));
}

#[test]
fn spawning_after_shutdown_drops_the_future() {
    let rt = TestRuntime::new();
    rt.executor.shut_down();
    let drops = DropCounter::default();
    let token = drops.token();
    let result = rt.handle.spawn(async move {
        let _token = token;
    });
    assert!(matches!(result, Err(Error::Shutdown)));
    assert_eq!(drops.drops(), 1);
    assert_eq!(rt.executor.alive_tasks(), 0);
}
