//! Loom models of the protocol's hand-offs where a wake-up could be lost:
//! a [`Promise`] completed while a callback is added and a task awaits it.
//! (The readiness and timer tables' models are in `baton-reactor-kit`.)
//!
//! Each model runs the real types: their locks come from [`crate::sync`],
//! which is loom under `cfg(loom)`.
//!
//! Run with `cargo xtask loom` (or `RUSTFLAGS="--cfg loom" cargo test -p
//! baton-protocol --release --lib loom`).

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Condvar, Mutex};
use loom::thread;

use crate::promise::{DoneCallback, Promise};

/// A waker that a model thread can block on: a lost wake-up leaves the
/// thread asleep for ever, which loom reports as a deadlock.
#[derive(Default)]
struct Signal {
    woken: Mutex<bool>,
    condvar: Condvar,
}

impl Signal {
    fn new() -> Arc<Signal> {
        Arc::new(Signal::default())
    }

    /// Sleeps until woken, and consumes the wake-up.
    fn wait(&self) {
        let mut woken = self.woken.lock().unwrap();
        while !*woken {
            woken = self.condvar.wait(woken).unwrap();
        }
        *woken = false;
    }
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.woken.lock().unwrap() = true;
        self.condvar.notify_one();
    }
}

/// A Promise made outside any runtime, completed on one thread while
/// another adds a done callback and a third awaits it (`Promise::complete`,
/// `add_done_callback`, `Wait::poll`): the callback runs exactly once,
/// seeing the Promise done, whether it was added before or after the
/// completion; the awaiting task is woken and gets the value.
///
/// Catches: a callback pushed after the pending check let go of the lock
/// (a completion in between takes the callbacks without it: never run), a
/// callback both queued and run at once (run twice), and a waker stored
/// outside the lock (the completion misses it: the awaiter sleeps for ever).
#[test]
fn loom_promise_complete_callback_await() {
    loom::model(|| {
        let promise = Promise::<u32>::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let completer = {
            let promise = promise.clone();
            thread::spawn(move || promise.set_result(7).unwrap())
        };
        let adder = {
            let (promise, ran) = (promise.clone(), ran.clone());
            thread::spawn(move || {
                promise.add_done_callback(DoneCallback::new(move |p: &Promise<u32>| {
                    assert_eq!(p.result().ok(), Some(7), "callback ran early");
                    ran.fetch_add(1, Ordering::SeqCst);
                }));
            })
        };
        let signal = Signal::new();
        let waker = Waker::from(signal.clone());
        let mut cx = Context::from_waker(&waker);
        let mut wait = pin!((&promise).into_future());
        let value = loop {
            match wait.as_mut().poll(&mut cx) {
                Poll::Ready(value) => break value,
                Poll::Pending => signal.wait(),
            }
        };
        assert_eq!(value.ok(), Some(7));
        completer.join().unwrap();
        adder.join().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1, "callback runs exactly once");
    });
}
