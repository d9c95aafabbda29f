//! Detach, abort and cancel: design Decisions 2 and 3, with exact counts.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use baton_protocol::task::yield_now;
use baton_protocol::{Error, Promise};
use util::{Case, DropCounter, Ex, Options};

matrix!(
    drop_detaches,
    abort_before_first_poll_never_polls,
    abort_pending_drops_once,
    abort_after_finish_keeps_output,
    cancel_returns_output_or_none,
    cancel_is_idempotent,
    cancel_drops_locals_before_returning,
    abort_while_yielding,
    join_again_is_invalid_state,
    protocol_handle_same_semantics,
);
flavor_matrix!(Runtime: abort_while_running_elsewhere);

/// A future that counts its polls, holds a drop token and waits for `gate`.
async fn gated(gate: Promise<()>, polls: Arc<AtomicUsize>, token: util::DropToken) -> u32 {
    polls.fetch_add(1, Ordering::SeqCst);
    let _token = token;
    gate.await.unwrap();
    polls.fetch_add(1, Ordering::SeqCst);
    7
}

fn drop_detaches(case: Case) {
    let ex = case.ex();
    let gate = Promise::new();
    let done = Promise::new();
    {
        let gate = gate.clone();
        let done = done.clone();
        let handle = ex
            .spawn(async move {
                gate.await.unwrap();
                done.set_result(1).unwrap();
            })
            .unwrap();
        drop(handle);
    }
    gate.set_result(()).unwrap();
    assert_eq!(ex.block_on(&done).unwrap().unwrap(), 1);
    // And `detach` says the same explicitly.
    let done2 = Promise::new();
    let d = done2.clone();
    ex.spawn(async move { d.set_result(2).unwrap() })
        .unwrap()
        .detach();
    assert_eq!(ex.block_on(&done2).unwrap().unwrap(), 2);
}

fn abort_before_first_poll_never_polls(case: Case) {
    // One worker, spawned and aborted from inside a task before it yields:
    // no thread can have polled the new task.
    let ex = case.ex_with(Options {
        workers: Some(1),
        ..Options::default()
    });
    let polls = Arc::new(AtomicUsize::new(0));
    let drops = DropCounter::default();
    let result = ex
        .block_on(
            ex.spawn({
                let polls = Arc::clone(&polls);
                let token = drops.token();
                async move {
                    let mut victim = baton_protocol::spawn(gated(Promise::new(), polls, token))?;
                    victim.abort();
                    Ok::<_, Error>(victim.await)
                }
            })
            .unwrap(),
        )
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
    assert_eq!(polls.load(Ordering::SeqCst), 0);
    assert_eq!(drops.get(), 1);
}

fn abort_pending_drops_once(case: Case) {
    let ex = case.ex();
    let polls = Arc::new(AtomicUsize::new(0));
    let drops = DropCounter::default();
    let gate = Promise::new();
    let started = Promise::new();
    let mut handle = {
        let polls = Arc::clone(&polls);
        let token = drops.token();
        let gate = gate.clone();
        let started = started.clone();
        ex.spawn(async move {
            started.set_result(()).unwrap();
            gated(gate, polls, token).await
        })
        .unwrap()
    };
    ex.block_on(&started).unwrap().unwrap();
    handle.abort();
    let result = ex.block_on(&mut handle).unwrap();
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
    assert_eq!(drops.get(), 1);
    assert_eq!(polls.load(Ordering::SeqCst), 1);
    assert!(handle.is_finished());
    // The gate opening later reaches nobody.
    gate.set_result(()).unwrap();
    assert_eq!(polls.load(Ordering::SeqCst), 1);
    assert_eq!(drops.get(), 1);
}

fn abort_after_finish_keeps_output(case: Case) {
    let ex = case.ex();
    let mut handle = ex.spawn(async { 5 }).unwrap();
    while !handle.is_finished() {
        ex.block_on(yield_now()).unwrap();
    }
    handle.abort();
    assert_eq!(ex.block_on(handle).unwrap().unwrap(), 5);
}

fn cancel_returns_output_or_none(case: Case) {
    let ex = case.ex();
    let finished = ex.spawn(async { 9 }).unwrap();
    let pending = ex.spawn(Promise::<u8>::new().into_future()).unwrap();
    let (a, b) = ex
        .block_on(async move {
            while !finished.is_finished() {
                yield_now().await;
            }
            (finished.cancel().await, pending.cancel().await)
        })
        .unwrap();
    assert_eq!(a, Some(9));
    assert!(b.is_none());
}

fn cancel_is_idempotent(case: Case) {
    let ex = case.ex();
    let drops = DropCounter::default();
    let polls = Arc::new(AtomicUsize::new(0));
    let mut handle = ex
        .spawn(gated(Promise::new(), Arc::clone(&polls), drops.token()))
        .unwrap();
    handle.abort();
    handle.abort();
    let result = ex.block_on(&mut handle).unwrap();
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
    handle.abort();
    assert_eq!(drops.get(), 1);
}

fn cancel_drops_locals_before_returning(case: Case) {
    let ex = case.ex();
    let drops = DropCounter::default();
    let started = Promise::new();
    let handle = {
        let token = drops.token();
        let started = started.clone();
        ex.spawn(async move {
            let _token = token;
            started.set_result(()).unwrap();
            Promise::<()>::new().await
        })
        .unwrap()
    };
    let count_after = ex
        .block_on(async {
            (&started).await.unwrap();
            let out = handle.cancel().await;
            (out.is_none(), drops.get())
        })
        .unwrap();
    assert_eq!(count_after, (true, 1));
}

fn abort_while_yielding(case: Case) {
    let ex = case.ex();
    let drops = DropCounter::default();
    let spins = Arc::new(AtomicUsize::new(0));
    let mut handle = {
        let token = drops.token();
        let spins = Arc::clone(&spins);
        ex.spawn(async move {
            let _token = token;
            loop {
                spins.fetch_add(1, Ordering::SeqCst);
                yield_now().await;
            }
        })
        .unwrap()
    };
    ex.block_on(async {
        while spins.load(Ordering::SeqCst) < 100 {
            yield_now().await;
        }
    })
    .unwrap();
    handle.abort();
    let result = ex.block_on(&mut handle).unwrap();
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
    assert_eq!(drops.get(), 1);
    let after = spins.load(Ordering::SeqCst);
    ex.block_on(async {
        for _ in 0..10 {
            yield_now().await;
        }
    })
    .unwrap();
    assert_eq!(spins.load(Ordering::SeqCst), after, "polled after cancel");
}

fn join_again_is_invalid_state(case: Case) {
    let ex = case.ex();
    let mut handle = ex.spawn(async { 1 }).unwrap();
    assert_eq!(ex.block_on(&mut handle).unwrap().unwrap(), 1);
    assert!(matches!(
        ex.block_on(&mut handle).unwrap(),
        Err(Error::InvalidState(_))
    ));
}

fn protocol_handle_same_semantics(case: Case) {
    let ex = case.ex();
    let drops = DropCounter::default();
    let mut handle: baton_protocol::JoinHandle<u32> = ex
        .spawn(gated(
            Promise::new(),
            Arc::new(AtomicUsize::new(0)),
            drops.token(),
        ))
        .unwrap()
        .into();
    handle.abort();
    let result = ex.block_on(&mut handle).unwrap();
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
    assert_eq!(drops.get(), 1);
    let value: baton_protocol::JoinHandle<u32> = ex.spawn(async { 3 }).unwrap().into();
    assert_eq!(ex.block_on(value).unwrap().unwrap(), 3);
}

fn abort_while_running_elsewhere(case: Case) {
    let Ex::Runtime(rt) = case.ex() else {
        unreachable!()
    };
    let (entered_tx, entered_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let drops = DropCounter::default();
    let polls = Arc::new(AtomicUsize::new(0));
    let mut handle = {
        let token = drops.token();
        let polls = Arc::clone(&polls);
        rt.spawn(async move {
            let _token = token;
            polls.fetch_add(1, Ordering::SeqCst);
            entered_tx.send(()).unwrap();
            // Mid-poll on a worker while the abort arrives.
            release_rx.recv().unwrap();
            yield_now().await;
            polls.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap()
    };
    entered_rx.recv().unwrap();
    handle.abort();
    assert_eq!(drops.get(), 0, "dropped while being polled");
    release_tx.send(()).unwrap();
    let result = rt.block_on(&mut handle).unwrap();
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
    assert_eq!(drops.get(), 1);
    assert_eq!(polls.load(Ordering::SeqCst), 1);
}
