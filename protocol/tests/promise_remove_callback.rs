//! `promise.remove_callback_counts`: removal takes every registration of a
//! callback and says how many; removed callbacks never run.

mod util;

use baton_protocol::promise::{DoneCallback, Promise};
use util::{Log, TestRuntime};

#[test]
fn removes_every_copy_and_counts_them() {
    let rt = TestRuntime::new();
    let promise = Promise::<u32>::new_in(&rt.handle);
    let log = Log::default();
    let removed_log = log.clone();
    let removed = DoneCallback::new(move |_: &Promise<u32>| removed_log.push(0));
    let kept_log = log.clone();
    let kept = DoneCallback::new(move |_: &Promise<u32>| kept_log.push(1));

    for _ in 0..6 {
        promise.add_done_callback(removed.clone());
        promise.add_done_callback(kept.clone());
    }
    assert_eq!(promise.remove_done_callback(&removed), 6);
    assert_eq!(promise.remove_done_callback(&removed), 0);

    promise.set_result(0).unwrap();
    rt.run_until_idle();
    assert_eq!(log.entries(), [1; 6]);
}

#[test]
fn an_unknown_callback_removes_nothing() {
    let promise = Promise::<u32>::new();
    let log = Log::default();
    let entries = log.clone();
    promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| entries.push(1)));
    // Identity, not behaviour: a second wrapper of an equal closure is
    // another callback.
    let lookalike = DoneCallback::new(|_: &Promise<u32>| {});
    assert_eq!(promise.remove_done_callback(&lookalike), 0);
    promise.set_result(0).unwrap();
    assert_eq!(log.entries(), [1]);
}

#[test]
fn callbacks_are_compared_by_identity() {
    let a = DoneCallback::new(|_: &Promise<u32>| {});
    let b = DoneCallback::new(|_: &Promise<u32>| {});
    assert_eq!(a, a.clone());
    assert_ne!(a, b);
}

#[test]
fn on_a_done_promise_nothing_is_left_to_remove() {
    let rt = TestRuntime::new();
    let promise = Promise::<u32>::new_in(&rt.handle);
    let log = Log::default();
    let entries = log.clone();
    let callback = DoneCallback::new(move |_: &Promise<u32>| entries.push(1));
    promise.add_done_callback(callback.clone());
    promise.set_result(0).unwrap();
    // Already scheduled: asyncio clears the list on completion too.
    assert_eq!(promise.remove_done_callback(&callback), 0);
    rt.run_until_idle();
    assert_eq!(log.entries(), [1]);
}
