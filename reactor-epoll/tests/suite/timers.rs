//! Timers: never early, ordered, cancel and reset, the park bounded by the
//! nearest deadline (CONFORMANCE.md C).

use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use baton_protocol::Error;
use baton_protocol::reactor::TimerKey;

use super::util::{HANG, NewReactor, Wakes, logger, park_until};

/// `time.never_early`: a timer fires only once the clock reached its
/// deadline, for deadlines from 1 µs to 20 ms, also when the reactor turns
/// many times before it (parks of 50 µs, as a busy executor's).
pub(crate) fn never_early(new: NewReactor) {
    let r = new();
    for d in [1, 100, 1_000, 3_100, 20_000] {
        let d = Duration::from_micros(d);
        let w = Wakes::new();
        let deadline = r.now() + d;
        let start = Instant::now();
        let key = r.insert_timer(deadline, w.waker()).unwrap();
        while w.count() == 0 {
            assert!(start.elapsed() < HANG);
            r.park(Some(Duration::from_micros(50)), true).unwrap();
        }
        assert!(r.now() >= deadline, "{d:?} fired early (reactor clock)");
        assert!(start.elapsed() >= d, "{d:?} fired early (Instant)");
        assert!(matches!(w.poll_timer(&*r, key), Poll::Ready(Ok(()))));
        assert!(!r.cancel_timer(key));
    }
    assert_eq!(r.stats().timers, 0);
}

/// `time.ordering`: deadline order (30, 10, 20 ms fire 10, 20, 30), equal
/// deadlines in insertion order, past deadlines earliest first.
pub(crate) fn ordering(new: NewReactor) {
    let r = new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let now = r.now();
    let ms = Duration::from_millis;
    let past = |d| now.checked_sub(ms(d)).unwrap_or(now);
    let mut keys = Vec::new();
    for (label, deadline) in [
        (30, now + ms(30)),
        (10, now + ms(10)),
        (20, now + ms(20)),
        (151, now + ms(15)),
        (152, now + ms(15)),
        (153, now + ms(15)),
        (1, past(1)),
        (2, past(2)),
    ] {
        keys.push(r.insert_timer(deadline, &logger(label, &log)).unwrap());
    }
    park_until(&*r, || log.lock().unwrap().len() == keys.len());
    let order = log.lock().unwrap().clone();
    let expected = if past(2) < past(1) {
        [2, 1, 10, 151, 152, 153, 20, 30]
    } else {
        // Too close to boot for the past deadlines to differ: insertion order.
        [1, 2, 10, 151, 152, 153, 20, 30]
    };
    assert_eq!(order, expected);
    for key in keys {
        assert!(!r.cancel_timer(key), "fired timers are no longer pending");
    }
}

/// `time.past_or_zero_fires_next_turn`: a zero or past deadline fires on the
/// next turn, not inside `insert`.
pub(crate) fn past_or_zero_fires_next_turn(new: NewReactor) {
    let r = new();
    let (now_w, past_w) = (Wakes::new(), Wakes::new());
    let now = r.now();
    let a = r.insert_timer(now, now_w.waker()).unwrap();
    let past = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
    let b = r.insert_timer(past, past_w.waker()).unwrap();
    assert_eq!(now_w.count() + past_w.count(), 0, "fired inline");
    assert!(now_w.poll_timer(&*r, a).is_pending());
    let turn = r.park(Some(Duration::ZERO), true).unwrap();
    assert_eq!(turn.timers_fired, 2);
    assert_eq!((now_w.count(), past_w.count()), (1, 1));
    assert!(matches!(now_w.poll_timer(&*r, a), Poll::Ready(Ok(()))));
    assert!(matches!(past_w.poll_timer(&*r, b), Poll::Ready(Ok(()))));
    assert_eq!(r.stats().timers, 2, "fired timers stay until cancelled");
    r.cancel_timer(a);
    r.cancel_timer(b);
    assert_eq!(r.stats().timers, 0);
}

/// `time.cancel`: a cancelled timer never fires; cancelling twice or after
/// firing is a no-op; cancelling the head makes the park use the next one.
pub(crate) fn cancel(new: NewReactor) {
    let r = new();
    let (head, next) = (Wakes::new(), Wakes::new());
    let start = r.now();
    let h = r
        .insert_timer(start + Duration::from_millis(10), head.waker())
        .unwrap();
    let n = r
        .insert_timer(start + Duration::from_millis(50), next.waker())
        .unwrap();
    assert!(r.cancel_timer(h));
    assert!(!r.cancel_timer(h), "cancelling twice");
    assert!(matches!(
        head.poll_timer(&*r, h),
        Poll::Ready(Err(Error::NotRegistered))
    ));
    park_until(&*r, || next.count() > 0);
    assert!(r.now() >= start + Duration::from_millis(50));
    assert_eq!(head.count(), 0, "a cancelled timer fired");
    assert!(!r.cancel_timer(n), "cancelling after firing");
    assert_eq!(r.stats().timers, 0);
}

/// `time.cancel`: 10 000 cancelled timers ahead of one live timer neither
/// shift it nor stay in the table.
pub(crate) fn cancel_many_ahead_of_one(new: NewReactor) {
    let r = new();
    let start = r.now();
    let dead = Wakes::new();
    let keys: Vec<TimerKey> = (0..10_000u64)
        .map(|i| {
            let deadline = start + Duration::from_micros(100 + i);
            r.insert_timer(deadline, dead.waker()).unwrap()
        })
        .collect();
    for key in keys {
        assert!(r.cancel_timer(key));
    }
    let live = Wakes::new();
    let deadline = start + Duration::from_millis(30);
    r.insert_timer(deadline, live.waker()).unwrap();
    assert_eq!(r.stats().timers, 1);
    park_until(&*r, || live.count() > 0);
    assert!(r.now() >= deadline);
    assert_eq!(dead.count(), 0);
}

/// `time.reset_earlier_later_after_fire`.
pub(crate) fn reset_earlier_later_after_fire(new: NewReactor) {
    let r = new();
    let ms = Duration::from_millis;

    let w = Wakes::new();
    let start = r.now();
    let key = r
        .insert_timer(start + Duration::from_secs(10), w.waker())
        .unwrap();
    r.reset_timer(key, start + ms(20)).unwrap();
    park_until(&*r, || w.count() > 0);
    assert!(r.now() >= start + ms(20));
    assert!(start.elapsed() < HANG, "reset earlier was not honoured");

    // After firing: armed again.
    let again = r.now() + ms(10);
    r.reset_timer(key, again).unwrap();
    assert!(w.poll_timer(&*r, key).is_pending());
    park_until(&*r, || w.count() > 1);
    assert!(r.now() >= again);
    assert!(matches!(w.poll_timer(&*r, key), Poll::Ready(Ok(()))));
    r.cancel_timer(key);

    // Later: not at the first deadline.
    let w = Wakes::new();
    let start = r.now();
    let key = r.insert_timer(start + ms(10), w.waker()).unwrap();
    r.reset_timer(key, start + ms(60)).unwrap();
    park_until(&*r, || w.count() > 0);
    assert!(r.now() >= start + ms(60), "fired at the old deadline");
    r.cancel_timer(key);

    assert!(matches!(
        r.reset_timer(key, start),
        Err(Error::NotRegistered)
    ));
}

/// `time.park_bounded_by_nearest`: with timers at 50 ms and 10 s,
/// `park(None)` returns once, at the nearest.
pub(crate) fn park_bounded_by_nearest(new: NewReactor) {
    let r = new();
    let (near, far) = (Wakes::new(), Wakes::new());
    let start = r.now();
    let n = r
        .insert_timer(start + Duration::from_millis(50), near.waker())
        .unwrap();
    let f = r
        .insert_timer(start + Duration::from_secs(10), far.waker())
        .unwrap();
    let mut turns = 0;
    while near.count() == 0 {
        let turn = r.park(None, true).unwrap();
        turns += 1;
        assert!(turns < 100 && start.elapsed() < HANG);
        if turn.timers_fired > 0 {
            break;
        }
    }
    assert_eq!(near.count(), 1);
    assert_eq!(far.count(), 0);
    assert!(r.now() >= start + Duration::from_millis(50));
    assert!(start.elapsed() < HANG);
    r.cancel_timer(n);
    assert!(r.cancel_timer(f));
}

/// `time.earlier_deadline_from_other_thread_wakes_park`: a 10 s park ends
/// when another thread inserts (or resets) a timer to 20 ms.
pub(crate) fn earlier_deadline_from_other_thread_wakes_park(new: NewReactor) {
    for reset in [false, true] {
        let r = new();
        let w = Wakes::new();
        let far = if reset {
            Some(
                r.insert_timer(r.now() + Duration::from_secs(3600), w.waker())
                    .unwrap(),
            )
        } else {
            None
        };
        let start = r.now();
        let other = {
            let r = r.clone();
            let waker: Waker = w.waker().clone();
            thread::spawn(move || {
                // Give the park time to start; if it has not, it sees the
                // new deadline when it does, and the case still holds.
                thread::sleep(Duration::from_millis(30));
                let deadline = r.now() + Duration::from_millis(20);
                match far {
                    Some(key) => r.reset_timer(key, deadline).unwrap(),
                    None => {
                        r.insert_timer(deadline, &waker).unwrap();
                    }
                }
                deadline
            })
        };
        while w.count() == 0 {
            r.park(Some(Duration::from_secs(10)), true).unwrap();
            assert!(start.elapsed() < HANG, "the park was not woken");
        }
        let deadline = other.join().unwrap();
        assert!(r.now() >= deadline);
    }
}

/// One million pending timers: inserted, counted, not in the way of a live
/// one, and cancelled.
pub(crate) fn million_pending(new: NewReactor) {
    let r = new();
    let w = Wakes::new();
    let far = r.now() + Duration::from_secs(3600);
    let keys: Vec<TimerKey> = (0..1_000_000u64)
        .map(|i| {
            r.insert_timer(far + Duration::from_nanos(i), w.waker())
                .unwrap()
        })
        .collect();
    assert_eq!(r.stats().timers, 1_000_000);
    let live = Wakes::new();
    let deadline = r.now() + Duration::from_millis(10);
    let key = r.insert_timer(deadline, live.waker()).unwrap();
    park_until(&*r, || live.count() > 0);
    assert!(r.now() >= deadline);
    for key in keys {
        assert!(r.cancel_timer(key));
    }
    r.cancel_timer(key);
    assert_eq!(r.stats().timers, 0);
    assert_eq!(w.count(), 0);
}
