//! Panics stay in their task: in a poll, in a destructor during
//! cancellation, in a waker; a panic in the `block_on` root reaches its
//! caller and leaves the executor usable.

mod util;

use std::future::{Future, poll_fn};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use baton_protocol::task::yield_now;
use baton_protocol::{Error, Promise};
use util::{Case, DropCounter};

matrix!(
    panic_isolated,
    panic_in_drop_during_abort,
    panic_in_drop_during_shutdown_reported,
    panic_in_block_on_root,
    panicking_join_waker_contained,
    waker_after_finish_is_noop,
);

fn panic_isolated(case: Case) {
    let ex = case.ex();
    let sibling_done = Promise::new();
    let gate = Promise::<()>::new();
    let sibling = {
        let gate = gate.clone();
        let done = sibling_done.clone();
        ex.spawn(async move {
            gate.await.unwrap();
            done.set_result(3).unwrap();
        })
        .unwrap()
    };
    let bad = ex.spawn(async { panic!("boom {}", 42) }).unwrap();
    let result = ex.block_on(bad).unwrap();
    assert!(
        matches!(result, Err(Error::Panicked(ref text)) if text == "boom 42"),
        "{result:?}"
    );
    gate.set_result(()).unwrap();
    assert_eq!(ex.block_on(&sibling_done).unwrap().unwrap(), 3);
    ex.block_on(sibling).unwrap().unwrap();
    assert_eq!(
        ex.block_on(ex.spawn(async { 1 }).unwrap())
            .unwrap()
            .unwrap(),
        1
    );
}

struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

fn panic_in_drop_during_abort(case: Case) {
    let ex = case.ex();
    let started = Promise::new();
    let mut handle = {
        let started = started.clone();
        ex.spawn(async move {
            let _bomb = PanicOnDrop("drop bomb");
            started.set_result(()).unwrap();
            Promise::<()>::new().await
        })
        .unwrap()
    };
    ex.block_on(&started).unwrap().unwrap();
    handle.abort();
    let result = ex.block_on(handle).unwrap();
    assert!(
        matches!(result, Err(Error::Panicked(ref text)) if text == "drop bomb"),
        "{result:?}"
    );
    assert_eq!(
        ex.block_on(ex.spawn(async { 2 }).unwrap())
            .unwrap()
            .unwrap(),
        2
    );
}

fn panic_in_drop_during_shutdown_reported(case: Case) {
    let ex = case.ex();
    let reported = Arc::new(Mutex::new(Vec::new()));
    {
        let reported = Arc::clone(&reported);
        ex.handle()
            .set_error_hook(move |e| reported.lock().unwrap().push(e.to_string()));
    }
    let started = Promise::new();
    let drops = DropCounter::default();
    let handle = {
        let started = started.clone();
        let token = drops.token();
        ex.spawn(async move {
            let _token = token;
            let _bomb = PanicOnDrop("shutdown bomb");
            started.set_result(()).unwrap();
            Promise::<()>::new().await
        })
        .unwrap()
    };
    ex.block_on(&started).unwrap().unwrap();
    ex.shutdown();
    assert_eq!(drops.get(), 1);
    assert!(
        reported
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.contains("shutdown bomb")),
        "{:?}",
        reported.lock().unwrap()
    );
    // The handle resolves: cancelled by shutdown.
    let result = util::block_on_outside(handle);
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
}

fn panic_in_block_on_root(case: Case) {
    let ex = case.ex();
    let drops = DropCounter::default();
    let pending = {
        let token = drops.token();
        ex.spawn(async move {
            let _token = token;
            Promise::<()>::new().await
        })
        .unwrap()
    };
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        ex.block_on(async {
            yield_now().await;
            panic!("root panic");
        })
    }));
    let payload = caught.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"root panic"));
    // Still usable, and it drops cleanly.
    assert_eq!(ex.block_on(async { 4 }).unwrap(), 4);
    drop(pending);
    drop(ex);
    assert_eq!(drops.get(), 1);
}

struct PanicWaker;

impl Wake for PanicWaker {
    fn wake(self: Arc<Self>) {
        panic!("waker panic");
    }
}

fn panicking_join_waker_contained(case: Case) {
    let ex = case.ex();
    let gate = Promise::new();
    let mut handle = {
        let gate = gate.clone();
        ex.spawn(async move {
            gate.await.unwrap();
            8
        })
        .unwrap()
    };
    let value = ex
        .block_on(async {
            let waker = Waker::from(Arc::new(PanicWaker));
            let mut cx = Context::from_waker(&waker);
            assert!(Pin::new(&mut handle).poll(&mut cx).is_pending());
            gate.set_result(()).unwrap();
            // The task completes while the panicking waker is the
            // registered awaiter: its wake must not abort the process.
            while !handle.is_finished() {
                yield_now().await;
            }
            (&mut handle).await
        })
        .unwrap()
        .unwrap();
    assert_eq!(value, 8);
}

fn waker_after_finish_is_noop(case: Case) {
    let ex = case.ex();
    let polls = Arc::new(AtomicUsize::new(0));
    let waker = ex
        .block_on(
            ex.spawn({
                let polls = Arc::clone(&polls);
                async move {
                    polls.fetch_add(1, Ordering::SeqCst);
                    poll_fn(|cx| Poll::Ready(cx.waker().clone())).await
                }
            })
            .unwrap(),
        )
        .unwrap()
        .unwrap();
    waker.wake_by_ref();
    ex.block_on(yield_now()).unwrap();
    assert_eq!(polls.load(Ordering::SeqCst), 1);
    drop(ex);
    waker.wake();
}
