//! `BatonExecutor`: spawning on the entered runtime or on a given one, and
//! what happens when there is nowhere to spawn.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use baton::{Handle, Promise};
use baton_hyper::BatonExecutor;
use hyper::rt::Executor;

/// A future that never completes and records being dropped.
struct DropFlag(Arc<AtomicBool>);

impl Future for DropFlag {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn outside_a_runtime_the_future_is_dropped_not_leaked() {
    let dropped = Arc::new(AtomicBool::new(false));
    BatonExecutor::new().execute(DropFlag(Arc::clone(&dropped)));
    assert!(dropped.load(Ordering::SeqCst));
}

#[baton::test(each_pair, timeout = "20s")]
async fn the_entered_runtime_runs_it() -> Result<(), baton::Error> {
    let done = Promise::new();
    let setter = done.clone();
    BatonExecutor::new().execute(async move {
        setter.set_result(7).expect("set once");
    });
    assert_eq!(done.await?, 7);
    Ok(())
}

#[baton::test(each_pair, timeout = "20s")]
async fn a_given_runtime_runs_it_from_any_thread() -> Result<(), baton::Error> {
    let executor = BatonExecutor::on(Handle::current()?);
    let done = Promise::new();
    let setter = done.clone();
    // A thread with no runtime entered hands the task over.
    std::thread::spawn(move || {
        assert!(Handle::try_current().is_none());
        executor.execute(async move {
            setter
                .set_result(Handle::try_current().is_some())
                .expect("set once");
        });
    })
    .join()
    .expect("thread");
    assert!(done.await?, "the task ran inside the runtime");
    Ok(())
}
