//! `interval` / `interval_at`: ticks on the `start + k·period` grid, each
//! missed-tick policy, reset, and a zero period as an error value.
//!
//! The schedule is checked on virtual time: a tick fires exactly when the
//! clock reaches it, and a stall is a clock advance, so a loaded machine
//! cannot turn a late wake-up into a "missed" tick and fail the test.

mod rt;

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_protocol::Error;
use baton_protocol::time::{MissedTickBehavior, interval, interval_at};
use baton_reactor_epoll::EpollReactor;
use baton_testing::VirtualTime;
use rt::Rt;

const PERIOD: Duration = Duration::from_millis(10);

/// A runtime on virtual time (the clock jumps to the next timer when the
/// runtime is idle), and its clock to advance by hand.
fn virtual_rt() -> (Rt, Arc<VirtualTime<EpollReactor>>) {
    let clock = Arc::new(VirtualTime::new(EpollReactor::new().unwrap()));
    (Rt::with_reactor(Arc::clone(&clock) as _), clock)
}

#[test]
fn zero_period_is_an_error_value() {
    let e = interval(Duration::ZERO).unwrap_err();
    assert!(
        matches!(&e, Error::Io(io) if io.kind() == io::ErrorKind::InvalidInput),
        "{e:?}"
    );
    assert!(interval_at(Instant::now(), Duration::ZERO).is_err());
}

#[test]
fn default_policy_is_skip() {
    let i = interval(PERIOD).unwrap();
    assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Skip);
    assert_eq!(i.period(), PERIOD);
}

#[test]
fn ticks_on_the_grid_without_drift() {
    let (rt, _clock) = virtual_rt();
    rt.block_on(async {
        let start = rt.reactor().now() + PERIOD;
        let mut ticks = interval_at(start, PERIOD).unwrap();
        for k in 0..10u32 {
            let scheduled = ticks.tick().await.unwrap();
            assert_eq!(scheduled, start + PERIOD * k, "tick {k} is off the grid");
            assert_eq!(rt.reactor().now(), scheduled, "tick {k} came early or late");
        }
    });
}

#[test]
fn first_tick_of_interval_is_immediate() {
    let rt = Rt::new();
    rt.block_on(async {
        let before = rt.reactor().now();
        let mut ticks = interval(Duration::from_secs(60)).unwrap();
        let first = ticks.tick().await.unwrap();
        assert!(first >= before && first <= rt.reactor().now());
    });
    assert_eq!(rt.turns(), 0, "a due tick needs no reactor turn");
}

/// Takes the first tick, then stalls for `stall` of virtual time (as a task
/// blocking its thread would) so that ticks are missed, then takes `n` more; returns the first tick's instant, the
/// moment the stall ended, and the later ticks.
fn stalled(
    policy: MissedTickBehavior,
    stall: Duration,
    n: usize,
) -> (Instant, Instant, Vec<Instant>) {
    let (rt, clock) = virtual_rt();
    rt.block_on(async {
        let mut ticks = interval(PERIOD).unwrap();
        ticks.set_missed_tick_behavior(policy);
        let start = ticks.tick().await.unwrap();
        clock.advance(stall).unwrap();
        let stall_end = rt.reactor().now();
        let mut later = Vec::new();
        for _ in 0..n {
            later.push(ticks.tick().await.unwrap());
        }
        (start, stall_end, later)
    })
}

#[test]
fn burst_delivers_every_missed_tick() {
    let (start, stall_end, ticks) = stalled(MissedTickBehavior::Burst, PERIOD * 7 / 2, 5);
    for (k, tick) in ticks.iter().enumerate() {
        assert_eq!(
            *tick,
            start + PERIOD * (k as u32 + 1),
            "tick {k} is off the grid"
        );
    }
    // The first three were missed: due before the stall ended.
    assert!(ticks[2] <= stall_end);
}

#[test]
fn skip_drops_missed_ticks_and_stays_on_the_grid() {
    let (start, stall_end, ticks) = stalled(MissedTickBehavior::Skip, PERIOD * 7 / 2, 3);
    // The late tick itself is delivered ...
    assert_eq!(ticks[0], start + PERIOD);
    // ... then the next is the first grid instant after the moment it was
    // taken (at or after the stall's end): the missed ones are dropped.
    let after = ticks[1] - start;
    assert_eq!(
        after.as_nanos() % PERIOD.as_nanos(),
        0,
        "{after:?} is off the grid"
    );
    assert!(ticks[1] > stall_end, "a missed tick was delivered");
    // The stall covered ticks 2 and 3 (3.5 periods): they are skipped.
    assert!(ticks[1] >= start + PERIOD * 4, "{:?}", ticks[1] - start);
    assert_eq!(ticks[2], ticks[1] + PERIOD);
}

#[test]
fn delay_restarts_the_schedule_from_the_late_tick() {
    let (start, stall_end, ticks) = stalled(MissedTickBehavior::Delay, PERIOD * 7 / 2, 3);
    assert_eq!(ticks[0], start + PERIOD);
    // One period after the late tick was taken, which was after the stall.
    assert!(
        ticks[1] >= stall_end + PERIOD,
        "{:?} < {:?}",
        ticks[1],
        stall_end + PERIOD
    );
    assert_eq!(ticks[2], ticks[1] + PERIOD);
}

#[test]
fn reset_moves_the_next_tick_one_period_out() {
    let rt = Rt::new();
    rt.block_on(async {
        let mut ticks = interval(Duration::from_millis(30)).unwrap();
        ticks.tick().await.unwrap();
        let before_reset = rt.reactor().now();
        ticks.reset();
        let next = ticks.tick().await.unwrap();
        assert!(next >= before_reset + Duration::from_millis(30));
        assert!(rt.reactor().now() >= next);
    });
}

#[test]
fn dropping_an_interval_frees_its_timer() {
    let rt = Rt::new();
    let baseline = rt.reactor().stats().timers;
    let mut ticks = interval(Duration::from_secs(60)).unwrap();
    rt.block_on(ticks.tick()).unwrap();
    let mut tick = Box::pin(ticks.tick());
    assert!(rt::poll_once(&rt, &mut tick).is_pending());
    drop(tick);
    assert_eq!(
        rt.reactor().stats().timers,
        baseline + 1,
        "armed for the next tick"
    );
    drop(ticks);
    assert_eq!(rt.reactor().stats().timers, baseline);
}

#[test]
fn outside_a_runtime_is_no_runtime() {
    let mut ticks = interval(PERIOD).unwrap();
    let result = futures_lite::future::block_on(ticks.tick());
    assert!(matches!(result, Err(Error::NoRuntime)), "{result:?}");
}
