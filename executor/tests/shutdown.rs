//! Shutdown (CONFORMANCE section H): every future dropped exactly once,
//! none polled after shutdown starts, join handles resolve, registrations
//! and timers released, the reactor shut down.

mod util;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use baton_protocol::io::Async;
use baton_protocol::time::sleep;
use baton_protocol::{Error, Promise, Reactor};
use util::{Case, DropCounter, Ex};

matrix!(
    drop_drops_pending_futures_once,
    join_after_shutdown,
    finished_output_dropped_once_executor_first,
    finished_output_dropped_once_handle_first,
);
flavor_matrix!(Runtime: shutdown_timeout_bounds_a_stuck_poll);

/// Counts its polls, then defers to `inner`.
struct Counted<F> {
    polls: Arc<AtomicUsize>,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

fn drop_drops_pending_futures_once(case: Case) {
    let ex = case.ex();
    let reactor: Arc<dyn Reactor> = Arc::clone(ex.handle().reactor());
    let shared = Arc::new(());
    let drops = DropCounter::default();
    let polls = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let all_started = Promise::new();
    let mut peers = Vec::new();
    for kind in 0..3 {
        let (a, b) = util::socketpair();
        peers.push(b);
        let shared = Arc::clone(&shared);
        let token = drops.token();
        let started = Arc::clone(&started);
        let all_started = all_started.clone();
        let inner = async move {
            let _held = (shared, token);
            let a = Async::new(a).unwrap();
            if started.fetch_add(1, Ordering::SeqCst) == 2 {
                all_started.set_result(()).unwrap();
            }
            match kind {
                0 => {
                    let _ = a.readable().await;
                }
                1 => {
                    let _ = sleep(Duration::from_secs(60)).await;
                }
                _ => {
                    let _ = Promise::<()>::new().await;
                }
            }
        };
        ex.spawn(Counted {
            polls: Arc::clone(&polls),
            inner: Box::pin(inner),
        })
        .unwrap()
        .detach();
    }
    ex.block_on(&all_started).unwrap().unwrap();
    assert_eq!(reactor.stats().registrations, 3);
    assert_eq!(reactor.stats().timers, 1);
    let polls_before = polls.load(Ordering::SeqCst);
    drop(ex);
    assert_eq!(drops.get(), 3);
    assert_eq!(Arc::strong_count(&shared), 1);
    assert_eq!(
        polls.load(Ordering::SeqCst),
        polls_before,
        "polled after shutdown"
    );
    let stats = reactor.stats();
    assert_eq!((stats.registrations, stats.timers), (0, 0));
    // Nothing of the executor is left holding the reactor: no cycle kept
    // its shared state (or its handle) alive.
    assert_eq!(Arc::strong_count(&reactor), 1);
    // The reactor was shut down with the runtime.
    assert!(matches!(
        reactor.park(Some(Duration::ZERO), true),
        Err(Error::Shutdown)
    ));
}

fn join_after_shutdown(case: Case) {
    let ex = case.ex();
    let pending = ex.spawn(Promise::<u8>::new().into_future()).unwrap();
    let done = ex.spawn(async { 5u8 }).unwrap();
    while !done.is_finished() {
        ex.block_on(baton_protocol::task::yield_now()).unwrap();
    }
    drop(ex);
    let pending = util::block_on_outside(pending);
    assert!(
        matches!(pending, Err(Error::Cancelled(None))),
        "{pending:?}"
    );
    assert_eq!(util::block_on_outside(done).unwrap(), 5);
}

fn finished_task(ex: &Ex, drops: &DropCounter) -> baton_executor::JoinHandle<util::DropToken> {
    let token = drops.token();
    let handle = ex.spawn(async move { token }).unwrap();
    while !handle.is_finished() {
        ex.block_on(baton_protocol::task::yield_now()).unwrap();
    }
    handle
}

fn finished_output_dropped_once_executor_first(case: Case) {
    let ex = case.ex();
    let drops = DropCounter::default();
    let handle = finished_task(&ex, &drops);
    drop(ex);
    assert_eq!(drops.get(), 0);
    drop(handle);
    assert_eq!(drops.get(), 1);
}

fn finished_output_dropped_once_handle_first(case: Case) {
    let ex = case.ex();
    let drops = DropCounter::default();
    let handle = finished_task(&ex, &drops);
    drop(handle);
    assert_eq!(drops.get(), 1);
    drop(ex);
    assert_eq!(drops.get(), 1);
}

fn shutdown_timeout_bounds_a_stuck_poll(case: Case) {
    let Ex::Runtime(rt) = case.ex() else {
        unreachable!()
    };
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let drops = DropCounter::default();
    let stuck = {
        let token = drops.token();
        rt.spawn(async move {
            let _token = token;
            entered_tx.send(()).unwrap();
            // Blocks its worker: shutdown cannot wait for this poll.
            release_rx.recv().unwrap();
            Promise::<()>::new().await
        })
        .unwrap()
    };
    entered_rx.recv().unwrap();
    let start = Instant::now();
    let result = rt.shutdown_timeout(Duration::from_millis(50));
    assert!(matches!(result, Err(Error::Elapsed)), "{result:?}");
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(drops.get(), 0);
    // When the poll returns, its worker drops the future and exits.
    release_tx.send(()).unwrap();
    let result = util::block_on_outside(stuck);
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
    assert_eq!(drops.get(), 1);
    drop(rt);
}
