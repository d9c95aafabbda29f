//! Spawning and joining: values come back, from the root and from tasks,
//! from this thread and from others.

mod util;

use std::sync::Arc;
use std::thread;

use baton_protocol::{Error, Handle};
use util::Case;

matrix!(
    spawn_join_many_from_block_on,
    spawn_join_many_from_tasks,
    protocol_spawn_inside_tasks,
    current_handle_inside_tasks,
    foreign_thread_spawn_runs,
    foreign_thread_wake_reschedules,
);

const MANY: u64 = 10_000;

fn spawn_join_many_from_block_on(case: Case) {
    let ex = case.ex();
    let handles: Vec<_> = (0..MANY)
        .map(|i| ex.spawn(async move { i * 2 }).unwrap())
        .collect();
    let sum = ex
        .block_on(async move {
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        })
        .unwrap();
    assert_eq!(sum, MANY * (MANY - 1));
}

fn spawn_join_many_from_tasks(case: Case) {
    let ex = case.ex();
    let outer = ex
        .spawn(async {
            let mut handles = Vec::new();
            for i in 0..MANY {
                handles.push(baton_protocol::spawn(async move { i })?);
            }
            let mut sum = 0;
            for h in handles {
                sum += h.await?;
            }
            Ok::<_, Error>(sum)
        })
        .unwrap();
    let sum = ex.block_on(outer).unwrap().unwrap().unwrap();
    assert_eq!(sum, MANY * (MANY - 1) / 2);
    assert_eq!(ex.metrics().spawned, MANY + 1);
}

fn protocol_spawn_inside_tasks(case: Case) {
    let ex = case.ex();
    let value = ex
        .block_on(async {
            let nested = baton_protocol::spawn(async {
                let inner = baton_protocol::spawn(async { 40 })?;
                Ok::<_, Error>(inner.await? + 2)
            })?;
            nested.await?
        })
        .unwrap()
        .unwrap();
    assert_eq!(value, 42);
}

fn current_handle_inside_tasks(case: Case) {
    let ex = case.ex();
    let id = ex.handle().id();
    assert!(matches!(Handle::current(), Err(Error::NoRuntime)));
    let seen = ex
        .block_on(
            ex.spawn(async { Handle::current().map(|h| h.id()) })
                .unwrap(),
        )
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(seen, id);
    let in_root = ex
        .block_on(async { Handle::current().map(|h| h.id()) })
        .unwrap();
    assert_eq!(in_root.unwrap(), id);
    assert!(matches!(Handle::current(), Err(Error::NoRuntime)));
}

fn foreign_thread_spawn_runs(case: Case) {
    let ex = case.ex();
    let handle = ex.handle().clone();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let all_ran = baton_protocol::Promise::<()>::new();
    // Spawned from another thread while the executor waits in block_on:
    // each spawn must wake it.
    let spawner = {
        let order = Arc::clone(&order);
        let all_ran = all_ran.clone();
        thread::spawn(move || {
            for i in 0..100 {
                let order = Arc::clone(&order);
                let all_ran = all_ran.clone();
                handle
                    .spawn(async move {
                        let mut order = order.lock().unwrap();
                        order.push(i);
                        if order.len() == 100 {
                            all_ran.set_result(()).unwrap();
                        }
                    })
                    .unwrap()
                    .detach();
            }
        })
    };
    ex.block_on(all_ran).unwrap().unwrap();
    spawner.join().unwrap();
    let order = order.lock().unwrap().clone();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    if ex.is_local() {
        // One foreign thread's submissions start in submission order.
        assert_eq!(order, sorted);
    }
}

fn foreign_thread_wake_reschedules(case: Case) {
    let ex = case.ex();
    let promise = baton_protocol::Promise::<u32>::new();
    let (waiting_tx, waiting_rx) = std::sync::mpsc::channel();
    let waiter = {
        let promise = promise.clone();
        ex.spawn(async move {
            waiting_tx.send(()).unwrap();
            promise.await
        })
        .unwrap()
    };
    let setter = thread::spawn(move || {
        waiting_rx.recv().unwrap();
        promise.set_result(7).unwrap();
    });
    let got = ex.block_on(waiter).unwrap().unwrap().unwrap();
    setter.join().unwrap();
    assert_eq!(got, 7);
}
