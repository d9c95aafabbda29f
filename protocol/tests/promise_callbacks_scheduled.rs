//! `promise.callbacks_scheduled_in_order`: on a Promise that belongs to a
//! runtime, callbacks never run inside the completing call; one executor
//! turn later they have run in registration order, each exactly once.

mod util;

use std::sync::{Arc, Mutex};

use baton_protocol::promise::{DoneCallback, Promise};
use baton_protocol::{Error, Handle, Spawn};
use util::{Log, TestRuntime};

fn logging(log: &Log, n: u32) -> DoneCallback<u32> {
    let log = log.clone();
    DoneCallback::new(move |_: &Promise<u32>| log.push(n))
}

fn check_scheduled(complete: impl FnOnce(&Promise<u32>)) {
    let rt = TestRuntime::new();
    let promise = Promise::new_in(&rt.handle);
    let log = Log::default();
    for n in 1..=5 {
        promise.add_done_callback(logging(&log, n));
    }
    complete(&promise);
    assert!(promise.done());
    assert!(
        log.entries().is_empty(),
        "a callback ran inside the completion"
    );
    assert_eq!(rt.executor.queued(), 1, "one task runs the whole batch");

    assert_eq!(rt.run_turn(), 1);
    assert_eq!(log.entries(), [1, 2, 3, 4, 5]);
    rt.run_until_idle();
    assert_eq!(log.entries(), [1, 2, 3, 4, 5]);
    assert_eq!(rt.executor.alive_tasks(), 0);
}

#[test]
fn after_set_result() {
    check_scheduled(|p| p.set_result(1).unwrap());
}

#[test]
fn after_set_error() {
    check_scheduled(|p| {
        p.set_error(Error::Closed).unwrap();
        // Read it, so the drop at the end reports nothing.
        assert!(p.error().unwrap().is_some());
    });
}

#[test]
fn after_cancel() {
    check_scheduled(|p| assert!(p.cancel_with("stop")));
}

#[test]
fn a_promise_made_inside_a_runtime_belongs_to_it() {
    let rt = TestRuntime::new();
    let promise = {
        let _entered = rt.handle.enter();
        Promise::<u32>::new()
    };
    let log = Log::default();
    promise.add_done_callback(logging(&log, 1));
    // Completed outside the runtime, the callback still goes to its runtime.
    promise.set_result(0).unwrap();
    assert!(log.entries().is_empty());
    rt.run_turn();
    assert_eq!(log.entries(), [1]);
}

#[test]
fn callbacks_run_inside_their_runtime() {
    let rt = TestRuntime::new();
    let promise = Promise::<u32>::new_in(&rt.handle);
    let seen = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&seen);
    promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| {
        *slot.lock().unwrap() = Some(Handle::current());
    }));
    promise.set_result(0).unwrap();
    rt.run_turn();
    let current = seen.lock().unwrap().take().expect("the callback ran");
    assert!(current.unwrap().same_runtime(&rt.handle));
}

#[test]
fn a_panicking_callback_is_reported_and_the_others_run() {
    let rt = TestRuntime::new();
    let reported = Arc::new(Mutex::new(Vec::new()));
    let hook = Arc::clone(&reported);
    rt.handle
        .set_error_hook(move |e| hook.lock().unwrap().push(e.to_string()));
    let promise = Promise::<u32>::new_in(&rt.handle);
    let log = Log::default();
    promise.add_done_callback(logging(&log, 1));
    promise.add_done_callback(DoneCallback::new(|_: &Promise<u32>| panic!("boom")));
    promise.add_done_callback(logging(&log, 3));
    promise.set_result(0).unwrap();
    rt.run_turn();
    assert_eq!(log.entries(), [1, 3]);
    assert_eq!(*reported.lock().unwrap(), ["task panicked: boom"]);
}

#[test]
fn after_shutdown_they_run_on_the_completing_thread() {
    let rt = TestRuntime::new();
    let promise = Promise::<u32>::new_in(&rt.handle);
    let log = Log::default();
    for n in 1..=3 {
        promise.add_done_callback(logging(&log, n));
    }
    rt.executor.shut_down();
    promise.set_result(0).unwrap();
    assert_eq!(log.entries(), [1, 2, 3]);
    assert_eq!(rt.executor.queued(), 0);
}
