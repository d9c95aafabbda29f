//! `BatonTimer` keeps hyper's time on the runtime's clock: under virtual
//! time its `now` is the virtual instant and its sleeps fire at their exact
//! virtual deadlines, with no real waiting; `reset` moves a sleep in place.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use baton_hyper::{BatonSleep, BatonTimer};
use hyper::rt::{Sleep, Timer};

/// A `hyper::rt::Sleep` that is not ours, to check `reset` replaces it.
struct Foreign;

impl Future for Foreign {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Sleep for Foreign {}

#[baton::test(virtual_time, each_pair, timeout = "20s")]
async fn now_is_the_virtual_clock() -> Result<(), baton::Error> {
    let timer = BatonTimer::new();
    let real = Instant::now();
    let start = timer.now();
    baton::sleep(Duration::from_secs(3600)).await?;
    assert_eq!(timer.now() - start, Duration::from_secs(3600));
    assert!(
        real.elapsed() < Duration::from_secs(3600),
        "no real waiting"
    );
    Ok(())
}

#[baton::test(virtual_time, each_pair, timeout = "20s")]
async fn sleeps_fire_at_their_virtual_deadlines() -> Result<(), baton::Error> {
    let timer = BatonTimer::new();
    let start = timer.now();
    timer.sleep(Duration::from_secs(30)).await;
    assert_eq!(timer.now() - start, Duration::from_secs(30));
    timer.sleep_until(start + Duration::from_secs(90)).await;
    assert_eq!(timer.now() - start, Duration::from_secs(90));
    Ok(())
}

#[baton::test(virtual_time, each_pair, timeout = "20s")]
async fn reset_moves_a_sleep_later_and_earlier() -> Result<(), baton::Error> {
    let timer = BatonTimer::new();
    let start = timer.now();
    let mut sleep = timer.sleep(Duration::from_secs(10));
    // Polled once, so the reactor timer exists and is moved in place.
    let first = std::future::poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await;
    assert!(first.is_pending());
    timer.reset(&mut sleep, start + Duration::from_secs(60));
    assert!(sleep.as_mut().downcast_mut_pin::<BatonSleep>().is_some());
    sleep.as_mut().await;
    assert_eq!(timer.now() - start, Duration::from_secs(60));

    // A fired sleep waits again after a reset, here to an earlier instant
    // than it would have reached by a later one.
    timer.reset(&mut sleep, start + Duration::from_secs(70));
    timer.reset(&mut sleep, start + Duration::from_secs(65));
    sleep.as_mut().await;
    assert_eq!(timer.now() - start, Duration::from_secs(65));
    Ok(())
}

#[baton::test(virtual_time, timeout = "20s")]
async fn reset_replaces_a_sleep_of_another_timer() -> Result<(), baton::Error> {
    let timer = BatonTimer::new();
    let start = timer.now();
    let mut sleep: Pin<Box<dyn Sleep>> = Box::pin(Foreign);
    timer.reset(&mut sleep, start + Duration::from_secs(5));
    assert!(sleep.as_mut().downcast_mut_pin::<BatonSleep>().is_some());
    sleep.as_mut().await;
    assert_eq!(timer.now() - start, Duration::from_secs(5));
    Ok(())
}
