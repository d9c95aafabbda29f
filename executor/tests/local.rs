//! What only the local executor does: futures that are not `Send`, the
//! thread-local `spawn_local`, and a root that yields like a task.

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::thread;

use baton_executor::{LocalExecutor, spawn_local};
use baton_protocol::Error;
use baton_protocol::task::yield_now;
use util::Case;

flavor_matrix!(
    Local: not_send_futures_run,
    spawn_local_from_inside_a_task,
    root_yield_runs_queued_work_first,
    local_handle_awaited_on_another_thread,
);

fn local(case: Case) -> LocalExecutor {
    LocalExecutor::builder()
        .shared_reactor((case.reactor)())
        .build()
        .unwrap()
}

fn not_send_futures_run(case: Case) {
    let ex = local(case);
    let shared = Rc::new(Cell::new(0));
    let tasks: Vec<_> = (1..=10)
        .map(|i| {
            let shared = Rc::clone(&shared);
            ex.spawn_local(async move {
                yield_now().await;
                shared.set(shared.get() + i);
                Rc::new(i)
            })
            .unwrap()
        })
        .collect();
    let total: i32 = ex
        .block_on(async {
            let mut total = 0;
            for t in tasks {
                total += *t.await.unwrap();
            }
            total
        })
        .unwrap();
    assert_eq!(total, 55);
    assert_eq!(shared.get(), 55);
}

fn spawn_local_from_inside_a_task(case: Case) {
    assert!(matches!(spawn_local(async {}), Err(Error::NoRuntime)));
    let ex = local(case);
    let log = Rc::new(RefCell::new(Vec::new()));
    let outer = {
        let log = Rc::clone(&log);
        ex.spawn_local(async move {
            let inner_log = Rc::clone(&log);
            let inner = spawn_local(async move { inner_log.borrow_mut().push("inner") })?;
            inner.await?;
            log.borrow_mut().push("outer");
            Ok::<_, Error>(())
        })
        .unwrap()
    };
    ex.block_on(outer).unwrap().unwrap().unwrap();
    assert_eq!(*log.borrow(), ["inner", "outer"]);
}

fn root_yield_runs_queued_work_first(case: Case) {
    let ex = local(case);
    let ran = Rc::new(Cell::new(0));
    let seen = ex
        .block_on(async {
            let mut seen = Vec::new();
            for round in 1..=3 {
                for _ in 0..5 {
                    let ran = Rc::clone(&ran);
                    ex.spawn_local(async move { ran.set(ran.get() + 1) })
                        .unwrap()
                        .detach();
                }
                yield_now().await;
                seen.push((round, ran.get()));
            }
            seen
        })
        .unwrap();
    assert_eq!(seen, [(1, 5), (2, 10), (3, 15)]);
}

fn local_handle_awaited_on_another_thread(case: Case) {
    let ex = local(case);
    let gate = baton_protocol::Promise::<()>::new();
    let task = {
        let gate = gate.clone();
        ex.spawn_local(async move {
            gate.await.unwrap();
            String::from("done")
        })
        .unwrap()
    };
    let waiter = thread::spawn(move || util::block_on_outside(task));
    gate.set_result(()).unwrap();
    // The task runs only inside block_on on this thread; it was queued
    // before the root's yield, so it has run when the yield returns.
    ex.block_on(yield_now()).unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), "done");
}
