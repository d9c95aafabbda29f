use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::task::Wake;
use std::time::Duration;

use super::near::COMPACT_SLACK;
use super::*;

struct Log(usize, Arc<Mutex<Vec<usize>>>);

impl Wake for Log {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

fn logger() -> (Arc<Mutex<Vec<usize>>>, impl Fn(usize) -> Waker) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let make = {
        let log = log.clone();
        move |label| Waker::from(Arc::new(Log(label, log.clone())))
    };
    (log, make)
}

fn take(log: &Mutex<Vec<usize>>) -> Vec<usize> {
    mem::take(&mut *log.lock().unwrap())
}

#[test]
fn an_entry_is_48_bytes() {
    // The documented size: what a million pending timers cost in memory.
    assert_eq!(mem::size_of::<Entry>(), 48);
}

#[test]
fn fires_in_deadline_then_insertion_order_never_early() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    for (label, at) in [(3, 30), (1, 10), (21, 20), (22, 20), (23, 20)] {
        t.insert(base + ms(at), &waker(label)).unwrap();
    }
    assert_eq!(t.fire_due(base + ms(9)), 0);
    assert_eq!(t.fire_due(base + ms(20)), 4);
    assert_eq!(t.fire_due(base + ms(100)), 1);
    assert_eq!(take(&log), [1, 21, 22, 23, 3]);
    assert_eq!(t.len(), 5, "fired timers stay until cancelled");
}

#[test]
fn the_same_order_through_the_wheel() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    // The first `fire_due` anchors the wheel; later inserts go to it.
    t.fire_due(base);
    for (label, at) in [(3, 30), (1, 10), (21, 20), (22, 20), (23, 20)] {
        t.insert(base + ms(at), &waker(label)).unwrap();
    }
    assert_eq!(t.lock().wheel.len(), 5);
    assert_eq!(t.fire_due(base + ms(9)), 0);
    assert_eq!(t.fire_due(base + ms(20)), 4);
    assert_eq!(t.fire_due(base + ms(100)), 1);
    assert_eq!(take(&log), [1, 21, 22, 23, 3]);
}

#[test]
fn past_deadlines_fire_earliest_first() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now() + ms(10);
    t.fire_due(base);
    t.insert(base - ms(1), &waker(1)).unwrap();
    t.insert(base - ms(2), &waker(2)).unwrap();
    t.insert(base - us(1500), &waker(15)).unwrap();
    assert_eq!(t.next_deadline(), Some(base - ms(2)));
    assert_eq!(t.fire_due(base), 3);
    assert_eq!(take(&log), [2, 15, 1]);
}

#[test]
fn reset_counts_as_inserting_again() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    let a = t.insert(base + ms(5), &waker(1)).unwrap().0;
    t.insert(base + ms(10), &waker(2)).unwrap();
    t.reset(a, base + ms(10)).unwrap();
    t.fire_due(base + ms(10));
    assert_eq!(take(&log), [2, 1]);
    // Re-armed after firing; its waker comes back with the next poll.
    t.reset(a, base + ms(20)).unwrap();
    assert_eq!(t.fire_due(base + ms(19)), 0);
    assert_eq!(t.fire_due(base + ms(20)), 1);
}

#[test]
fn stale_keys_never_reach_a_reused_entry() {
    let t = Timers::new();
    let base = Instant::now();
    let (old, _) = t.insert(base, Waker::noop()).unwrap();
    assert!(t.cancel(old));
    let (new, _) = t.insert(base, Waker::noop()).unwrap();
    assert_eq!(split(old).0, split(new).0, "the entry is reused");
    assert!(!t.cancel(old));
    assert!(matches!(t.reset(old, base), Err(Error::NotRegistered)));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(
        t.poll(old, &mut cx),
        Poll::Ready(Err(Error::NotRegistered))
    ));
    assert_eq!(t.len(), 1);
    assert!(t.cancel(new));
}

#[test]
fn poll_once_frees_a_fired_timer_and_keeps_a_pending_one() {
    let t = Timers::new();
    let base = Instant::now();
    let (log, waker) = logger();
    let (due, _) = t.insert(base + ms(5), Waker::noop()).unwrap();
    let (later, _) = t.insert(base + ms(50), Waker::noop()).unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(t.poll_once(due, &mut cx).is_pending(), "not fired yet");
    assert_eq!(t.len(), 2, "a pending timer stays");
    // The waker the pending poll stored is the one firing wakes.
    let labelled = waker(7);
    assert!(
        t.poll_once(later, &mut Context::from_waker(&labelled))
            .is_pending()
    );
    assert_eq!(t.fire_due(base + ms(50)), 2);
    assert_eq!(take(&log), [7]);
    assert!(matches!(t.poll_once(due, &mut cx), Poll::Ready(Ok(()))));
    assert_eq!(t.len(), 1, "the fired timer's entry is freed");
    assert!(matches!(
        t.poll_once(due, &mut cx),
        Poll::Ready(Err(Error::NotRegistered))
    ));
    assert!(!t.cancel(due), "nothing left to cancel");
    // `poll` on a fired timer keeps it (sticky), `poll_once` then frees it.
    assert!(matches!(t.poll(later, &mut cx), Poll::Ready(Ok(()))));
    assert_eq!(t.len(), 1);
    assert!(matches!(t.poll_once(later, &mut cx), Poll::Ready(Ok(()))));
    assert!(t.is_empty());
    // A freed entry is reused by the next insert, under a new generation.
    let (next, _) = t.insert(base + ms(60), Waker::noop()).unwrap();
    assert_eq!(split(next).0, split(later).0);
    assert!(matches!(
        t.poll_once(later, &mut cx),
        Poll::Ready(Err(Error::NotRegistered))
    ));
    t.shutdown();
    assert!(matches!(
        t.poll_once(next, &mut cx),
        Poll::Ready(Err(Error::Shutdown))
    ));
}

#[test]
fn cancelled_near_items_are_compacted() {
    let t = Timers::new();
    let base = Instant::now();
    // No clock seen yet: every timer waits in the near queue.
    let (live, _) = t.insert(base + ms(50), Waker::noop()).unwrap();
    for i in 0..100_000 {
        let (key, _) = t
            .insert(base + Duration::from_nanos(i), Waker::noop())
            .unwrap();
        assert!(t.cancel(key));
    }
    let items = t.lock().near.items();
    assert!(
        items <= 2 + COMPACT_SLACK,
        "{items} queued items for one timer"
    );
    assert_eq!(t.next_deadline(), Some(base + ms(50)));
    assert!(t.cancel(live));
    assert_eq!(t.next_deadline(), None);
}

#[test]
fn a_million_inserts_and_cancels_leave_nothing_behind() {
    let t = Timers::new();
    let base = Instant::now();
    t.fire_due(base);
    let (live, _) = t.insert(base + ms(50), Waker::noop()).unwrap();
    let mut x = 1u64;
    for _ in 0..1_000_000 {
        x = xorshift(x);
        let (key, _) = t
            .insert(base + Duration::from_nanos(x % (1 << 45)), Waker::noop())
            .unwrap();
        assert!(t.cancel(key));
    }
    {
        let inner = t.lock();
        assert_eq!(inner.entries.len(), 2, "entries are reused");
        assert_eq!(inner.wheel.len() + inner.near.live(), 1);
        assert!(inner.near.items() <= 2 + COMPACT_SLACK);
    }
    assert_eq!(t.next_deadline(), Some(base + ms(50)));
    assert!(t.cancel(live));
    assert_eq!((t.len(), t.next_deadline()), (0, None));
}

#[test]
fn a_million_pending_fire_in_order() {
    let t = Timers::new();
    let base = Instant::now();
    t.fire_due(base);
    let order = Arc::new(Mutex::new(Vec::new()));
    struct Record(Instant, Arc<Mutex<Vec<Instant>>>);
    impl Wake for Record {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }
    let mut x = 7u64;
    for _ in 0..1_000_000 {
        x = xorshift(x);
        // Within a minute, to the nanosecond.
        let deadline = base + Duration::from_nanos(x % 60_000_000_000);
        let waker = Waker::from(Arc::new(Record(deadline, order.clone())));
        t.insert(deadline, &waker).unwrap();
    }
    let mut now = base;
    let mut fired = 0;
    while fired < 1_000_000 {
        let next = t.next_deadline().unwrap();
        assert!(next >= now);
        now = next.max(now + ms(7));
        fired += t.fire_due(now);
    }
    let order = order.lock().unwrap();
    assert!(order.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_park_reads_its_bound_and_the_exact_deadline_under_one_lock() {
    let t = Timers::new();
    let base = Instant::now();
    let far = base + ms(7_200_000);
    let key = t.insert(far, Waker::noop()).unwrap().0;
    let (until, next) = t.begin_park_with_next(None);
    assert_eq!(next, Some(far), "the exact deadline, not a slot's start");
    let until = until.expect("a timer is pending");
    assert!(until <= far);
    // The timer cancelled and inserted again at the bound asks for no
    // wake-up (it is not earlier): only a park that waits no longer than
    // `until` sees it in time.
    assert!(t.cancel(key));
    assert!(!t.insert(until, Waker::noop()).unwrap().1);
    t.end_park();
    assert_eq!(t.begin_park_with_next(None), (Some(until), Some(until)));
    t.end_park();
}

#[test]
fn an_earlier_deadline_during_a_park_asks_for_one_wake_up() {
    let t = Timers::new();
    let base = Instant::now();
    t.insert(base + ms(100), Waker::noop()).unwrap();
    assert!(
        !t.insert(base + ms(1), Waker::noop()).unwrap().1,
        "no park in progress"
    );
    assert_eq!(t.begin_park(Some(base + ms(500))), Some(base + ms(1)));
    assert!(
        !t.insert(base + ms(2), Waker::noop()).unwrap().1,
        "not earlier"
    );
    assert!(t.insert(base, Waker::noop()).unwrap().1);
    assert!(
        !t.insert(base, Waker::noop()).unwrap().1,
        "the park was already woken"
    );
    t.end_park();
    assert_eq!(t.begin_park(None), Some(base));
    t.end_park();
    let empty = Timers::new();
    assert_eq!(empty.begin_park(None), None);
    assert!(
        empty.insert(base + ms(3_600_000), Waker::noop()).unwrap().1,
        "a park for ever"
    );
}

#[test]
fn shutdown_wakes_everything_and_refuses_the_rest() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    let (key, _) = t.insert(base + ms(10), &waker(1)).unwrap();
    t.insert(base + ms(100_000), &waker(2)).unwrap();
    t.insert(base + ms(1), &waker(3)).unwrap();
    t.fire_due(base + ms(1));
    assert_eq!(take(&log), [3]);
    t.shutdown();
    let mut woken = take(&log);
    woken.sort_unstable();
    assert_eq!(
        woken,
        [1, 2],
        "pending timers are woken, fired ones not again"
    );
    assert!(matches!(
        t.insert(base, Waker::noop()),
        Err(Error::Shutdown)
    ));
    assert!(matches!(t.reset(key, base), Err(Error::Shutdown)));
    assert!(!t.cancel(key));
    assert_eq!((t.len(), t.fire_due(base + ms(20))), (0, 0));
}

/// A far timer moved later before every park, as hyper moves its header
/// timeout at each request: the park waits until the start of the timer's
/// slot, which never comes after the deadline, and the timer stays where it
/// is; parks that end at those bounds reach the exact deadline, one level
/// at a time, and fire it there, not earlier.
#[test]
fn parks_bound_far_timers_by_their_slot() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    let (key, _) = t.insert(base + ms(30_000), &waker(1)).unwrap();
    let first = t.begin_park(None).unwrap();
    t.end_park();
    assert!(first < base + ms(30_000), "a bound, not the deadline");
    let mut deadline = base + ms(30_000);
    for step in 1..=100 {
        deadline = base + ms(30_000) + us(step * 20);
        t.reset(key, deadline).unwrap();
        assert_eq!(t.begin_park(None), Some(first), "the slot did not move");
        t.end_park();
    }
    assert_eq!(t.lock().entries[0].level, 2, "never cascaded");
    let mut parks = 0;
    loop {
        let until = t.begin_park(None).unwrap();
        t.end_park();
        assert!(until <= deadline);
        parks += 1;
        if until == deadline {
            break;
        }
        assert_eq!(t.fire_due(until), 0);
    }
    assert_eq!(parks, 3, "one park per level above the lowest, then exact");
    assert_eq!(t.fire_due(deadline - Duration::from_nanos(1)), 0);
    assert_eq!(t.fire_due(deadline), 1);
    assert_eq!(take(&log), [1]);
}

/// Deadlines at every level of the wheel, each found exactly by
/// `next_deadline` and fired exactly at it, not a nanosecond earlier.
#[test]
fn cascades_between_levels_never_early() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    let offsets = [
        us(300),
        ms(3),
        ms(70),
        ms(5_000) + us(1),
        ms(300_000) + Duration::from_nanos(7),
        ms(5 * 3_600_000),
        ms(20 * 86_400_000),
        ms(3 * 365 * 86_400_000),
    ];
    for (label, offset) in offsets.iter().enumerate().rev() {
        t.insert(base + *offset, &waker(label)).unwrap();
    }
    let levels: Vec<u8> = t
        .lock()
        .entries
        .iter()
        .filter(|e| e.state == State::Wheel)
        .map(|e| e.level)
        .collect();
    assert!(levels.len() >= 7 && levels.contains(&6), "{levels:?}");
    for (label, offset) in offsets.iter().enumerate() {
        let deadline = base + *offset;
        assert_eq!(t.next_deadline(), Some(deadline));
        assert_eq!(t.fire_due(deadline - Duration::from_nanos(1)), 0);
        assert_eq!(t.next_deadline(), Some(deadline));
        assert_eq!(t.fire_due(deadline), 1);
        assert_eq!(take(&log), [label]);
    }
    assert_eq!(t.next_deadline(), None);
}

/// A jump of the clock over many levels at once (as virtual time does)
/// fires everything passed, in order.
#[test]
fn one_jump_over_every_level() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    for (label, offset) in [
        (4, ms(86_400_000)),
        (1, us(10)),
        (3, ms(90_000)),
        (2, ms(65)),
    ] {
        t.insert(base + offset, &waker(label)).unwrap();
    }
    assert_eq!(t.fire_due(base + ms(86_400_000)), 4);
    assert_eq!(take(&log), [1, 2, 3, 4]);
}

#[test]
fn beyond_the_wheel_range() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    let years = |n: u64| Duration::from_secs(n * 365 * 86_400);
    let far = base + years(200);
    let near_end = base + years(145);
    t.insert(far, &waker(2)).unwrap();
    t.insert(near_end, &waker(1)).unwrap();
    assert_eq!(t.next_deadline(), Some(near_end));
    assert_eq!(t.fire_due(near_end - Duration::from_nanos(1)), 0);
    assert_eq!(t.fire_due(near_end), 1);
    assert_eq!(t.next_deadline(), Some(far));
    assert_eq!(t.fire_due(far - Duration::from_nanos(1)), 0);
    assert_eq!(t.fire_due(far), 1);
    assert_eq!(take(&log), [1, 2]);
}

/// A timer that waited at a high level and cascaded down still fires after
/// one inserted later for the same instant directly at level 0, and before
/// one inserted after that.
#[test]
fn equal_deadlines_keep_insertion_order_across_cascades() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    let at = base + ms(10_000) + us(123);
    t.insert(at, &waker(1)).unwrap();
    // Let the wheel cascade the first one down.
    assert_eq!(t.fire_due(at - ms(2)), 0);
    t.insert(at, &waker(2)).unwrap();
    assert_eq!(t.fire_due(at - us(1)), 0);
    t.insert(at, &waker(3)).unwrap();
    assert_eq!(t.next_deadline(), Some(at));
    assert_eq!(t.fire_due(at), 3);
    assert_eq!(take(&log), [1, 2, 3]);
}

/// Deadlines within one tick (1.05 ms) fire one by one, each exactly.
#[test]
fn sub_millisecond_deadlines_are_exact() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    for (label, at) in [(3, us(900)), (1, us(100)), (2, us(200))] {
        t.insert(base + at, &waker(label)).unwrap();
    }
    assert_eq!(t.next_deadline(), Some(base + us(100)));
    assert_eq!(t.fire_due(base + us(150)), 1);
    assert_eq!(t.next_deadline(), Some(base + us(200)));
    assert_eq!(t.fire_due(base + us(899)), 1);
    assert_eq!(t.next_deadline(), Some(base + us(900)));
    assert_eq!(t.fire_due(base + us(900)), 1);
    assert_eq!(take(&log), [1, 2, 3]);
}

#[test]
fn reset_across_levels() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    let hours = t.insert(base + ms(5 * 3_600_000), &waker(1)).unwrap().0;
    let soon = t.insert(base + ms(2), &waker(2)).unwrap().0;
    // From a high level to level 0, and the other way.
    t.reset(hours, base + ms(1)).unwrap();
    t.reset(soon, base + ms(7_200_000)).unwrap();
    assert_eq!(t.next_deadline(), Some(base + ms(1)));
    assert_eq!(t.fire_due(base + ms(3)), 1);
    assert_eq!(take(&log), [1]);
    assert_eq!(t.next_deadline(), Some(base + ms(7_200_000)));
    // Reset while in the near queue (the next deadline put it there).
    t.reset(soon, base + ms(4)).unwrap();
    assert_eq!(t.next_deadline(), Some(base + ms(4)));
    // Reset after firing: armed again, far away.
    t.reset(hours, base + ms(86_400_000)).unwrap();
    assert_eq!(t.fire_due(base + ms(4)), 1);
    assert_eq!(take(&log), [2]);
    assert_eq!(t.next_deadline(), Some(base + ms(86_400_000)));
    assert_eq!(t.fire_due(base + ms(86_400_000) - us(1)), 0);
    assert_eq!(t.fire_due(base + ms(86_400_000)), 1);
}

/// A reset to a later deadline leaves the entry in its slot; the wheel
/// moves it on when it gets there, and it fires at the new deadline only.
#[test]
fn reset_later_moves_lazily() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    let key = t.insert(base + ms(3), &waker(1)).unwrap().0;
    let place = |t: &Timers| {
        let inner = t.lock();
        let entry = &inner.entries[split(key).0 as usize];
        (entry.state, entry.level, entry.slot)
    };
    let before = place(&t);
    for later in [ms(4), ms(90), ms(5_000), ms(3_600_000)] {
        t.reset(key, base + later).unwrap();
        assert_eq!(place(&t), before, "still in its first slot");
    }
    let hour = base + ms(3_600_000);
    assert_eq!(t.next_deadline(), Some(hour));
    assert_eq!(t.fire_due(hour - us(1)), 0);
    assert_ne!(place(&t).0, State::Fired);
    // And earlier again, from wherever the wheel moved it.
    t.reset(key, base + ms(2_000)).unwrap();
    assert_eq!(t.next_deadline(), Some(base + ms(2_000)));
    assert_eq!(t.fire_due(base + ms(2_000)), 1);
    assert_eq!(take(&log), [1]);
}

/// The next deadline an hour away moves the wheel an hour ahead; timers
/// inserted meanwhile for sooner go to the near queue, and once they
/// outnumber the wheel's own the wheel is rebuilt from the clock.
#[test]
fn a_wheel_ahead_of_the_clock_is_rebuilt() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    t.fire_due(base);
    let hour = base + ms(3_600_000);
    t.insert(hour, &waker(0)).unwrap();
    t.insert(hour + ms(1), &waker(0)).unwrap();
    assert_eq!(t.next_deadline(), Some(hour));
    let ahead = t.lock().wheel.elapsed();
    assert!(
        ahead > 3_000_000,
        "the wheel ran ahead to the hour: {ahead}"
    );
    for i in 1..=200 {
        t.insert(base + ms(i), &waker(i as usize)).unwrap();
    }
    {
        let inner = t.lock();
        assert_eq!(inner.wheel.elapsed(), inner.wheel.clock(), "rebuilt");
        assert!(
            inner.near.live() < 100,
            "{} in the queue",
            inner.near.live()
        );
    }
    let mut now = base;
    while let Some(next) = t.next_deadline()
        && next < hour
    {
        assert_eq!(t.fire_due(next - Duration::from_nanos(1)), 0);
        now = next;
        assert_eq!(t.fire_due(now), 1);
    }
    assert_eq!(now, base + ms(200));
    assert_eq!(take(&log), (1..=200).collect::<Vec<_>>());
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// Random inserts, resets, cancels, polls, clock steps and jumps against a
/// model (an ordered map): the same timers fire, in the same order, and the
/// next deadline is always the model's.
#[test]
fn matches_an_ordered_map() {
    let t = Timers::new();
    let (log, waker) = logger();
    let base = Instant::now();
    let mut model: BTreeMap<(Instant, u64), usize> = BTreeMap::new();
    let mut keys: Vec<Option<(TimerKey, Instant, u64)>> = Vec::new();
    let mut seq = 0;
    let mut now = base;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut cx = Context::from_waker(Waker::noop());
    let mut held = 0;
    for round in 0..100_000u32 {
        x = xorshift(x);
        let span = match x % 8 {
            0 => 1_000,              // within a microsecond
            1..=3 => 5_000_000,      // 5 ms
            4 | 5 => 300_000_000,    // 300 ms
            6 => 100_000_000_000,    // 100 s
            _ => 10_000_000_000_000, // 3 hours
        };
        let deadline = if x.is_multiple_of(13) {
            now - Duration::from_nanos((x >> 8) % 2_000_000)
        } else {
            now + Duration::from_nanos((x >> 8) % span)
        };
        match (x >> 40) % 16 {
            0..=6 => {
                let label = keys.len();
                let (key, _) = t.insert(deadline, &waker(label)).unwrap();
                model.insert((deadline, seq), label);
                keys.push(Some((key, deadline, seq)));
                seq += 1;
                held += 1;
            }
            7 | 8 if !keys.is_empty() => {
                let label = (x as usize >> 3) % keys.len();
                if let Some((key, old, old_seq)) = keys[label] {
                    let pending = model.remove(&(old, old_seq)).is_some();
                    assert_eq!(t.cancel(key), pending);
                    keys[label] = None;
                    held -= 1;
                }
            }
            9 if !keys.is_empty() => {
                let label = (x as usize >> 3) % keys.len();
                if let Some((key, old, old_seq)) = keys[label] {
                    let pending = model.remove(&(old, old_seq)).is_some();
                    t.reset(key, deadline).unwrap();
                    if !pending {
                        // A fired timer's waker comes back with its next poll.
                        assert!(t.poll(key, &mut cx).is_pending());
                        let logging = waker(label);
                        let mut woken = Context::from_waker(&logging);
                        assert!(t.poll(key, &mut woken).is_pending());
                    }
                    model.insert((deadline, seq), label);
                    keys[label] = Some((key, deadline, seq));
                    seq += 1;
                }
            }
            10 => {
                assert_eq!(t.next_deadline(), model.keys().next().map(|k| k.0));
            }
            11 => {
                // To the next deadline, as a virtual clock does.
                if let Some(next) = t.next_deadline() {
                    assert_eq!(Some(next), model.keys().next().map(|k| k.0));
                    now = now.max(next);
                }
            }
            12 => {
                // To the end of a park, which may come before the deadline.
                let until = t.begin_park(None);
                t.end_park();
                let next = model.keys().next().map(|k| k.0);
                assert_eq!(until.is_some(), next.is_some());
                if let (Some(until), Some(next)) = (until, next) {
                    assert!(until <= next, "round {round}: a park past a deadline");
                    now = now.max(until);
                }
            }
            13 => now += Duration::from_nanos((x >> 8) % 3_000_000_000_000),
            _ => now += Duration::from_nanos((x >> 8) % 2_000_000),
        }
        if round.is_multiple_of(3) {
            let due: Vec<usize> = {
                let later = model.split_off(&(now, u64::MAX));
                let due = mem::replace(&mut model, later);
                due.into_values().collect()
            };
            assert_eq!(t.fire_due(now), due.len());
            assert_eq!(take(&log), due, "round {round}");
        }
        assert_eq!(t.len(), held);
    }
}
