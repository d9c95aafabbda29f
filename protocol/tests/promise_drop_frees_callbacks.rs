//! `promise.drop_frees_callbacks`: dropping a pending Promise drops its
//! callbacks and what they capture, leaving no cycle behind.

use std::sync::Arc;

use baton_protocol::promise::{DoneCallback, Promise};

#[test]
fn dropping_a_pending_promise_drops_the_captures() {
    let captured = Arc::new(String::from("captured"));
    let weak = Arc::downgrade(&captured);
    let promise = Promise::<u32>::new();
    promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| {
        let _ = captured.len();
    }));
    assert!(weak.upgrade().is_some());
    drop(promise);
    assert!(weak.upgrade().is_none(), "the callback's capture leaked");
}

#[test]
fn a_weak_promise_in_a_callback_makes_no_cycle() {
    let promise = Promise::<u32>::new();
    let weak_self = promise.downgrade();
    promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| {
        let _ = weak_self.upgrade();
    }));
    let weak = promise.downgrade();
    assert!(weak.upgrade().is_some());
    drop(promise);
    assert!(weak.upgrade().is_none());
}

#[test]
fn a_callback_holding_its_own_promise_is_freed_once_it_has_run() {
    let promise = Promise::<u32>::new();
    let strong_self = promise.clone();
    promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| {
        let _ = strong_self.done();
    }));
    let weak = promise.downgrade();
    promise.set_result(0).unwrap();
    drop(promise);
    assert!(weak.upgrade().is_none());
}

#[test]
fn removed_callbacks_release_their_captures() {
    let captured = Arc::new(0_u8);
    let weak = Arc::downgrade(&captured);
    let promise = Promise::<u32>::new();
    let callback = DoneCallback::new(move |_: &Promise<u32>| {
        let _ = *captured;
    });
    promise.add_done_callback(callback.clone());
    assert_eq!(promise.remove_done_callback(&callback), 1);
    drop(callback);
    assert!(weak.upgrade().is_none());
    assert!(!promise.done());
}
