//! Decision 8 for a Promise made outside any runtime: callbacks run on the
//! completing thread, after the state change, in order, exactly once, with
//! no lock held.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use baton_protocol::promise::{DoneCallback, Promise};
use baton_protocol::{Error, Handle};
use util::Log;

#[test]
fn run_after_the_state_change_in_order_once() {
    assert!(Handle::try_current().is_none());
    let promise = Promise::<u32>::new();
    let log = Log::default();
    for n in 1..=3 {
        let log = log.clone();
        promise.add_done_callback(DoneCallback::new(move |p: &Promise<u32>| {
            // The state change is visible to the callback.
            assert_eq!(p.result().ok(), Some(7));
            log.push(n);
        }));
    }
    assert!(log.entries().is_empty());
    promise.set_result(7).unwrap();
    assert_eq!(log.entries(), [1, 2, 3]);
    // A second completion attempt does not run them again.
    assert!(promise.set_result(8).is_err());
    assert!(!promise.cancel());
    assert_eq!(log.entries(), [1, 2, 3]);
}

#[test]
fn run_on_the_completing_thread() {
    let promise = Promise::<u32>::new();
    let ran_on = Arc::new(std::sync::Mutex::new(None));
    let slot = Arc::clone(&ran_on);
    promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| {
        *slot.lock().unwrap() = Some(thread::current().id());
    }));
    let completer = promise.clone();
    let completing = thread::spawn(move || {
        completer.set_result(1).unwrap();
        thread::current().id()
    })
    .join()
    .unwrap();
    assert_eq!(*ran_on.lock().unwrap(), Some(completing));
}

#[test]
fn a_callback_may_call_back_into_the_promise() {
    let promise = Promise::<u32>::new();
    let log = Log::default();
    let inner_log = log.clone();
    let outer_log = log.clone();
    promise.add_done_callback(DoneCallback::new(move |p: &Promise<u32>| {
        // Every one of these takes the Promise's lock: none may deadlock.
        assert_eq!(p.result().ok(), Some(3));
        assert!(p.done());
        assert_eq!(format!("{p:?}"), "<Promise finished result=3>");
        let inner_log = inner_log.clone();
        p.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| inner_log.push(2)));
        assert_eq!(
            p.remove_done_callback(&DoneCallback::new(|_: &Promise<u32>| {})),
            0
        );
        outer_log.push(1);
    }));
    promise.set_result(3).unwrap();
    // The callback added from inside a callback ran after it, not nested.
    assert_eq!(log.entries(), [1, 2]);
}

#[test]
fn completions_inside_callbacks_are_queued_not_nested() {
    let first = Promise::<u32>::new();
    let second = Promise::<u32>::new();
    let log = Log::default();
    let second_log = log.clone();
    second.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| {
        second_log.push(3)
    }));
    let first_log = log.clone();
    let second_in_callback = second.clone();
    first.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| {
        first_log.push(1);
        second_in_callback.set_result(2).unwrap();
        // `second`'s callbacks have not run inside its `set_result`.
        first_log.push(2);
    }));
    first.set_result(1).unwrap();
    assert_eq!(log.entries(), [1, 2, 3]);
}

#[test]
fn a_callback_that_re_adds_itself_loops_without_growing_the_stack() {
    // Nested calls would overflow the test thread's stack long before this.
    const ROUNDS: usize = 200_000;
    let promise = Promise::<u32>::new();
    let count = Arc::new(AtomicUsize::new(0));
    fn again(count: Arc<AtomicUsize>) -> DoneCallback<u32> {
        DoneCallback::new(move |p: &Promise<u32>| {
            if count.fetch_add(1, Ordering::SeqCst) + 1 < ROUNDS {
                p.add_done_callback(again(Arc::clone(&count)));
            }
        })
    }
    promise.add_done_callback(again(Arc::clone(&count)));
    promise.set_result(0).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), ROUNDS);
}

#[test]
fn a_panicking_callback_does_not_stop_the_others() -> Result<(), Error> {
    let promise = Promise::<u32>::new();
    let log = Log::default();
    let before = log.clone();
    let after = log.clone();
    promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| before.push(1)));
    promise.add_done_callback(DoneCallback::new(|_: &Promise<u32>| {
        panic!("a callback panicked on purpose")
    }));
    promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| after.push(3)));
    promise.set_result(0)?;
    assert_eq!(log.entries(), [1, 3]);
    assert_eq!(promise.result()?, 0);
    Ok(())
}
