//! `promise.await_twice_and_across_executors` (the part without a reactor):
//! a Promise completed on another thread wakes its awaiters.

mod util;

use std::sync::{Arc, Barrier};
use std::thread;

use baton_protocol::promise::{DoneCallback, Promise};
use baton_protocol::testing::Stepper;
use util::{Log, TestRuntime, block_on};

#[test]
fn completion_on_another_thread_wakes_a_stepped_waiter() {
    let promise = Promise::<u32>::new();
    let mut waiter = Stepper::new(&promise);
    assert!(waiter.step().is_pending());

    let completer = promise.clone();
    thread::spawn(move || completer.set_result(11).unwrap())
        .join()
        .unwrap();
    assert!(waiter.woken());
    assert_eq!(waiter.wake_count(), 1);
    assert_eq!(waiter.step().ready().transpose().unwrap(), Some(11));
}

#[test]
fn a_parked_thread_is_woken() {
    let promise = Promise::<u32>::new();
    let completer = promise.clone();
    let output = block_on(async move {
        let setter = thread::spawn(move || completer.set_result(5));
        let output = promise.await;
        setter.join().unwrap().unwrap();
        output
    });
    assert_eq!(output.unwrap(), 5);
}

#[test]
fn every_waiter_on_every_thread_is_woken() {
    const WAITERS: usize = 8;
    let promise = Promise::<u64>::new();
    let started = Arc::new(Barrier::new(WAITERS + 1));
    let waiters: Vec<_> = (0..WAITERS)
        .map(|_| {
            let promise = promise.clone();
            let started = Arc::clone(&started);
            thread::spawn(move || {
                started.wait();
                block_on(&promise)
            })
        })
        .collect();
    started.wait();
    promise.set_result(99).unwrap();
    for waiter in waiters {
        assert_eq!(waiter.join().unwrap().unwrap(), 99);
    }
}

#[test]
fn callbacks_go_to_the_owning_runtime_from_a_foreign_thread() {
    let rt = TestRuntime::new();
    let promise = Promise::<u32>::new_in(&rt.handle);
    let log = Log::default();
    let entries = log.clone();
    promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| entries.push(1)));
    let completer = promise.clone();
    thread::spawn(move || completer.set_result(0).unwrap())
        .join()
        .unwrap();
    assert!(log.entries().is_empty());
    rt.run_turn();
    assert_eq!(log.entries(), [1]);
}
