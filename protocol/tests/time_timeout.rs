//! `timeout` / `timeout_at`: the deadline is checked before the inner
//! future, nested timeouts, cancellation of the timer on drop.

mod rt;

use std::future::{self, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use baton_protocol::Error;
use baton_protocol::time::{sleep, timeout, timeout_at};
use rt::{Rt, poll_once};

#[test]
fn zero_timeout_on_pending_elapses() {
    let rt = Rt::new();
    let result = rt.block_on(timeout(Duration::ZERO, future::pending::<()>()));
    assert!(matches!(result, Err(Error::Elapsed)), "{result:?}");
}

#[test]
fn past_timeout_on_zero_sleep_elapses() {
    // Both fire on the same turn; the deadline is checked first.
    let rt = Rt::new();
    let past = rt.reactor().now() - Duration::from_millis(1);
    let result = rt.block_on(timeout_at(past, sleep(Duration::ZERO)));
    assert!(matches!(result, Err(Error::Elapsed)), "{result:?}");
}

#[test]
fn quick_future_is_not_expired() {
    let rt = Rt::new();
    let result = rt.block_on(timeout(Duration::from_secs(10), async { 7 }));
    assert_eq!(result.unwrap(), 7);
    let result = rt.block_on(timeout(
        Duration::from_secs(10),
        sleep(Duration::from_millis(1)),
    ));
    assert!(matches!(result, Ok(Ok(()))), "{result:?}");
}

#[test]
fn ready_at_first_poll_wins_even_a_zero_timeout() {
    // A deadline never fires inline, so a future that completes at once is Ok.
    let rt = Rt::new();
    assert_eq!(
        rt.block_on(timeout(Duration::ZERO, async { 1 })).unwrap(),
        1
    );
}

#[test]
fn elapses_not_before_its_deadline() {
    let rt = Rt::new();
    let start = Instant::now();
    let result = rt.block_on(timeout(Duration::from_millis(30), future::pending::<()>()));
    assert!(matches!(result, Err(Error::Elapsed)));
    assert!(start.elapsed() >= Duration::from_millis(30));
}

/// Wakes itself and stays pending: a busy loop that yields.
struct Busy;

impl Future for Busy {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn nested_timeouts_on_a_busy_loop() {
    // time.timeout_semantics: the inner one fires first, and the outer one
    // still interrupts a later long sleep.
    let rt = Rt::new();
    let start = Instant::now();
    let (inner, outer) = rt.block_on(async {
        let mut inner = None;
        let outer = timeout(Duration::from_millis(200), async {
            inner = Some(timeout(Duration::from_millis(20), Busy).await);
            sleep(Duration::from_secs(10)).await
        })
        .await;
        (inner, outer)
    });
    assert!(matches!(inner, Some(Err(Error::Elapsed))), "{inner:?}");
    assert!(matches!(outer, Err(Error::Elapsed)), "{outer:?}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200),
        "outer fired early: {took:?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "outer did not interrupt: {took:?}"
    );
}

#[test]
fn drop_cancels_the_timer_and_the_inner_future() {
    let rt = Rt::new();
    let baseline = rt.reactor().stats().timers;
    let mut t = Box::pin(timeout(
        Duration::from_secs(60),
        sleep(Duration::from_secs(60)),
    ));
    assert!(poll_once(&rt, &mut t).is_pending());
    assert_eq!(rt.reactor().stats().timers, baseline + 2);
    drop(t);
    assert_eq!(rt.reactor().stats().timers, baseline);
}

#[test]
fn elapsed_timeout_leaves_no_timer() {
    let rt = Rt::new();
    let baseline = rt.reactor().stats().timers;
    let result = rt.block_on(timeout(
        Duration::from_millis(1),
        sleep(Duration::from_secs(60)),
    ));
    assert!(matches!(result, Err(Error::Elapsed)));
    assert_eq!(rt.reactor().stats().timers, baseline);
}

#[test]
fn duration_max_never_expires() {
    let rt = Rt::new();
    let t = timeout(Duration::MAX, sleep(Duration::from_millis(1)));
    assert_eq!(t.deadline(), None);
    assert!(matches!(rt.block_on(t), Ok(Ok(()))));
}

#[test]
fn outside_a_runtime_is_no_runtime_and_inner_not_polled() {
    let mut polled = false;
    let result = futures_lite::future::block_on(timeout(
        Duration::from_secs(1),
        future::poll_fn(|_| {
            polled = true;
            Poll::Ready(())
        }),
    ));
    assert!(matches!(result, Err(Error::NoRuntime)), "{result:?}");
    assert!(!polled);
}

#[test]
fn into_inner_gives_back_the_future() {
    let rt = Rt::new();
    let t = timeout(Duration::from_secs(1), async { 5 });
    assert_eq!(rt.block_on(t.into_inner()), 5);
}
