//! `sleep` / `sleep_until`: never early, few turns, one yield for zero,
//! reset, no leaked timers, no panic on huge durations, clear errors outside
//! a runtime and after shutdown.

mod rt;

use std::task::Poll;
use std::time::{Duration, Instant};

use baton_protocol::Error;
use baton_protocol::time::{sleep, sleep_until};
use baton_protocol::wait::{self, WaitFor};
use rt::{Rt, poll_once};

#[test]
fn never_early_by_instant_and_reactor_clock() {
    let rt = Rt::new();
    for micros in [1, 100, 1_000, 3_100, 69_000] {
        let d = Duration::from_micros(micros);
        let (wall, clock) = rt.block_on(async {
            let reactor = rt.reactor();
            let (wall, clock) = (Instant::now(), reactor.now());
            sleep(d).await.unwrap();
            (wall.elapsed(), reactor.now() - clock)
        });
        assert!(wall >= d, "sleep({d:?}) ended after {wall:?} by Instant");
        assert!(
            clock >= d,
            "sleep({d:?}) ended after {clock:?} by reactor.now()"
        );
    }
}

#[test]
fn sleep_until_never_early() {
    let rt = Rt::new();
    let deadline = rt.reactor().now() + Duration::from_millis(15);
    rt.block_on(sleep_until(deadline)).unwrap();
    assert!(rt.reactor().now() >= deadline);
}

#[test]
fn sub_ms_sleeps_take_few_turns() {
    // time.sub_ms_not_busy: sub-millisecond waits round up, not down to a
    // busy loop of zero-timeout turns.
    let rt = Rt::new();
    rt.block_on(async {
        for secs in [1e-2, 1e-4, 1e-6, 1e-8, 1e-10] {
            sleep(Duration::from_secs_f64(secs)).await.unwrap();
        }
    });
    assert!(rt.turns() <= 20, "{} turns", rt.turns());
}

#[test]
fn zero_sleep_pends_once_then_completes() {
    let rt = Rt::new();
    rt.block_on(sleep(Duration::ZERO)).unwrap();
    assert_eq!(rt.polls(), 2, "pending once, then ready");
}

#[test]
fn past_deadline_pends_once_then_completes() {
    let rt = Rt::new();
    let past = rt.reactor().now() - Duration::from_secs(1);
    let mut s = sleep_until(past);
    assert!(
        poll_once(&rt, &mut s).is_pending(),
        "a past deadline never fires inline"
    );
    assert!(!s.is_elapsed());
    rt.block_on(&mut s).unwrap();
    assert!(s.is_elapsed());
}

#[test]
fn completed_sleep_stays_ready() {
    let rt = Rt::new();
    let mut s = sleep(Duration::from_millis(1));
    rt.block_on(&mut s).unwrap();
    assert!(matches!(poll_once(&rt, &mut s), Poll::Ready(Ok(()))));
}

#[test]
fn reset_earlier() {
    let rt = Rt::new();
    let start = Instant::now();
    rt.block_on(async {
        let mut s = sleep(Duration::from_secs(60));
        assert!(poll_once(&rt, &mut s).is_pending());
        let deadline = rt.reactor().now() + Duration::from_millis(20);
        s.reset(deadline);
        assert_eq!(s.deadline(), Some(deadline));
        s.await.unwrap();
        assert!(rt.reactor().now() >= deadline);
    });
    assert!(start.elapsed() < rt::HANG_GUARD);
}

#[test]
fn reset_later() {
    let rt = Rt::new();
    rt.block_on(async {
        let mut s = sleep(Duration::from_millis(5));
        assert!(poll_once(&rt, &mut s).is_pending());
        let deadline = rt.reactor().now() + Duration::from_millis(40);
        s.reset(deadline);
        s.await.unwrap();
        assert!(
            rt.reactor().now() >= deadline,
            "the old deadline must not fire"
        );
    });
}

#[test]
fn reset_through_a_pin() {
    let rt = Rt::new();
    rt.block_on(async {
        let mut s = std::pin::pin!(sleep(Duration::from_secs(60)));
        let deadline = rt.reactor().now() + Duration::from_millis(5);
        s.as_mut().reset(deadline);
        s.await.unwrap();
        assert!(rt.reactor().now() >= deadline);
    });
}

#[test]
fn reset_after_completion_waits_again() {
    let rt = Rt::new();
    rt.block_on(async {
        let mut s = sleep(Duration::from_millis(1));
        (&mut s).await.unwrap();
        assert!(s.is_elapsed());
        let deadline = rt.reactor().now() + Duration::from_millis(10);
        s.reset(deadline);
        assert!(!s.is_elapsed());
        s.await.unwrap();
        assert!(rt.reactor().now() >= deadline);
    });
}

#[test]
fn drop_cancels_the_timer() {
    let rt = Rt::new();
    let baseline = rt.reactor().stats().timers;
    let mut s = sleep(Duration::from_secs(60));
    assert_eq!(
        rt.reactor().stats().timers,
        baseline,
        "no timer before the first poll"
    );
    assert!(poll_once(&rt, &mut s).is_pending());
    assert_eq!(rt.reactor().stats().timers, baseline + 1);
    drop(s);
    assert_eq!(rt.reactor().stats().timers, baseline);
}

#[test]
fn fired_timer_slot_is_freed_at_once() {
    let rt = Rt::new();
    let baseline = rt.reactor().stats().timers;
    let mut s = sleep(Duration::from_millis(1));
    rt.block_on(&mut s).unwrap();
    assert_eq!(rt.reactor().stats().timers, baseline);
}

#[test]
fn duration_max_never_fires_and_never_panics() {
    let rt = Rt::new();
    let baseline = rt.reactor().stats().timers;
    let mut s = sleep(Duration::MAX);
    assert_eq!(s.deadline(), None);
    for _ in 0..3 {
        assert!(poll_once(&rt, &mut s).is_pending());
    }
    assert_eq!(rt.reactor().stats().timers, baseline, "no timer is needed");
    // Still a working future: reset brings it back to a real deadline.
    s.reset(rt.reactor().now() + Duration::from_millis(1));
    rt.block_on(s).unwrap();
}

#[test]
fn pending_sleep_reports_its_deadline() {
    let rt = Rt::new();
    let deadline = rt.reactor().now() + Duration::from_secs(60);
    let mut s = sleep_until(deadline);
    wait::take();
    assert!(poll_once(&rt, &mut s).is_pending());
    assert_eq!(wait::take(), Some(WaitFor::Deadline(deadline)));
}

#[test]
fn never_ending_sleep_reports_forever() {
    let rt = Rt::new();
    let mut s = sleep(Duration::MAX);
    wait::take();
    assert!(poll_once(&rt, &mut s).is_pending());
    let report = wait::take();
    assert!(matches!(report, Some(WaitFor::Forever(_))), "{report:?}");
    assert_eq!(
        report.unwrap().to_string(),
        "ever (a deadline beyond the clock's range)"
    );
}

#[test]
fn outside_a_runtime_is_no_runtime() {
    let result = futures_lite::future::block_on(sleep(Duration::from_millis(1)));
    assert!(matches!(result, Err(Error::NoRuntime)), "{result:?}");
    let result = futures_lite::future::block_on(sleep(Duration::MAX));
    assert!(matches!(result, Err(Error::NoRuntime)), "{result:?}");
}

#[test]
fn created_outside_counts_from_first_poll() {
    let s = sleep(Duration::from_millis(20));
    assert_eq!(s.deadline(), None, "no clock to count from yet");
    let rt = Rt::new();
    let start = rt.reactor().now();
    rt.block_on(s).unwrap();
    assert!(rt.reactor().now() - start >= Duration::from_millis(20));
}

#[test]
fn shutdown_wakes_and_fails_sleepers() {
    let rt = Rt::new();
    let result = rt.block_on(async {
        let mut s = sleep(Duration::from_secs(60));
        assert!(poll_once(&rt, &mut s).is_pending());
        rt.reactor().shutdown();
        s.await
    });
    assert!(matches!(result, Err(Error::Shutdown)), "{result:?}");
    let mut late = sleep(Duration::from_millis(1));
    assert!(matches!(
        poll_once(&rt, &mut late),
        Poll::Ready(Err(Error::Shutdown))
    ));
}

#[test]
fn now_reads_the_entered_reactors_clock() {
    // Virtual time: an hour of sleeping moves `now` by exactly an hour.
    let clock = std::sync::Arc::new(baton_testing::VirtualTime::new(
        baton_reactor_epoll::EpollReactor::new().unwrap(),
    ));
    let rt = rt::Rt::with_reactor(std::sync::Arc::clone(&clock) as _);
    let (before, after) = rt.block_on(async {
        let before = baton_protocol::time::now();
        baton_protocol::sleep(Duration::from_secs(3600))
            .await
            .unwrap();
        (before, baton_protocol::time::now())
    });
    assert_eq!(after - before, Duration::from_secs(3600));
    assert_eq!(before, clock.start());
}

#[test]
fn now_outside_a_runtime_is_the_system_clock() {
    let before = Instant::now();
    let now = baton_protocol::time::now();
    assert!(now >= before && now <= Instant::now());
}
