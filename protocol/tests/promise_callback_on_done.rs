//! `promise.callback_on_done_promise`: a callback added to a done Promise is
//! scheduled for the next turn, not run inline and not forgotten.

mod util;

use baton_protocol::promise::{DoneCallback, Promise};
use util::{Log, TestRuntime};

#[test]
fn on_a_runtime_it_runs_next_turn() {
    let rt = TestRuntime::new();
    let promise = Promise::<u32>::new_in(&rt.handle);
    promise.set_result(4).unwrap();
    assert_eq!(rt.executor.queued(), 0, "no callbacks, nothing scheduled");

    let log = Log::default();
    for n in 1..=2 {
        let log = log.clone();
        promise.add_done_callback(DoneCallback::new(move |p: &Promise<u32>| {
            assert_eq!(p.result().ok(), Some(4));
            log.push(n);
        }));
    }
    assert!(log.entries().is_empty(), "ran inline in add_done_callback");
    rt.run_until_idle();
    assert_eq!(log.entries(), [1, 2]);
}

#[test]
fn without_a_runtime_it_runs_at_once_on_this_thread() {
    let promise = Promise::<u32>::new();
    promise.cancel();
    let log = Log::default();
    let entries = log.clone();
    promise.add_done_callback(DoneCallback::new(move |p: &Promise<u32>| {
        assert!(p.cancelled());
        entries.push(1);
    }));
    assert_eq!(log.entries(), [1]);
}
