//! Every fault `Chaos` injects stays within the reactor contract: no lost
//! wake-up, no event for a deregistered key, timers never early and in
//! order, every retry loop progresses.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_protocol::reactor::IoFault;
use baton_protocol::{Direction, Error, Interest, Reactor};
use baton_reactor_epoll::EpollReactor;
use baton_testing::{Chaos, CountingWaker, chaos};

/// Not a speed claim: only a guard that fails a hung run with a message.
const HANG_GUARD: Duration = Duration::from_secs(20);

fn quiet() -> chaos::Builder {
    chaos::Builder::new().quiet().record(true)
}

/// A socket pair, the first end registered for reading only (a fresh
/// socket is writable at once, which would add an event to every turn).
fn socket_pair<R: Reactor>(
    reactor: &R,
) -> Result<(UnixStream, UnixStream, baton_protocol::reactor::SourceKey), Error> {
    let (a, b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    Ok((a, b, key))
}

#[test]
fn a_spurious_wake_comes_next_turn_and_the_real_one_still_does() -> Result<(), Error> {
    let chaos = quiet().spurious_wake(1.0).build(EpollReactor::new()?, 1);
    let (_a, mut b, key) = socket_pair(&chaos)?;
    let counter = CountingWaker::new();
    let waker = counter.waker();
    let mut cx = Context::from_waker(&waker);
    assert!(chaos.poll_ready(key, Direction::Read, &mut cx).is_pending());
    assert_eq!(chaos.park(Some(Duration::ZERO), false)?.events, 1);
    assert_eq!(counter.take(), 1, "the spurious wake-up");
    // Nothing to read yet: Pending again, and the waker stays registered.
    assert!(chaos.poll_ready(key, Direction::Read, &mut cx).is_pending());
    b.write_all(b"x")?;
    let guard = Instant::now() + HANG_GUARD;
    while !matches!(
        chaos.poll_ready(key, Direction::Read, &mut cx),
        Poll::Ready(Ok(_))
    ) {
        assert!(Instant::now() < guard, "the real readiness never came");
        chaos.park(Some(Duration::from_millis(100)), true)?;
    }
    assert!(counter.count() >= 1, "the real readiness woke the waiter");
    chaos.deregister(key)?;
    Ok(())
}

#[test]
fn delayed_readiness_is_reported_within_three_turns() -> Result<(), Error> {
    let chaos = quiet().delayed_ready(1.0).build(EpollReactor::new()?, 2);
    let (_a, mut b, key) = socket_pair(&chaos)?;
    b.write_all(b"x")?;
    chaos.park(Some(Duration::from_millis(100)), true)?;
    let counter = CountingWaker::new();
    let waker = counter.waker();
    let mut cx = Context::from_waker(&waker);
    let mut delays = 0;
    while chaos.poll_ready(key, Direction::Read, &mut cx).is_pending() {
        delays += 1;
        assert_eq!(counter.take(), 0, "not woken before the next turn");
        let turn = chaos.park(None, true)?;
        assert_eq!(
            turn.events, 1,
            "the park returns at once with the held readiness"
        );
        assert_eq!(counter.take(), 1);
    }
    assert_eq!(delays, 3, "at most three faults in a row");
    assert_eq!(chaos.counts().delayed_readiness, 3);
    // Once reported, a readiness stays cached and is reported again at once
    // (a partial read followed by another poll).
    for _ in 0..5 {
        assert!(chaos.poll_ready(key, Direction::Read, &mut cx).is_ready());
    }
    assert_eq!(chaos.counts().delayed_readiness, 3);
    chaos.deregister(key)?;
    Ok(())
}

#[test]
fn no_event_for_a_deregistered_key() -> Result<(), Error> {
    let chaos = quiet().delayed_ready(1.0).build(EpollReactor::new()?, 3);
    let (_a, mut b, key) = socket_pair(&chaos)?;
    b.write_all(b"x")?;
    chaos.park(Some(Duration::from_millis(100)), true)?;
    let counter = CountingWaker::new();
    let waker = counter.waker();
    assert!(
        chaos
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    chaos.deregister(key)?;
    assert_eq!(
        counter.take(),
        1,
        "deregister wakes the held waiter at once"
    );
    chaos.unpark();
    let turn = chaos.park(Some(Duration::from_millis(100)), true)?;
    assert_eq!(turn.events, 0, "{turn:?}");
    assert!(turn.unparked);
    assert_eq!(counter.count(), 0);
    Ok(())
}

#[test]
fn empty_turns_stop_after_three() -> Result<(), Error> {
    let chaos = quiet().empty_turn(1.0).build(EpollReactor::new()?, 4);
    // Straight to the inner reactor: the decorator does not see this unpark.
    chaos.get_ref().unpark();
    for _ in 0..3 {
        assert!(chaos.park(None, true)?.is_empty());
    }
    assert!(
        chaos.park(None, true)?.unparked,
        "the fourth turn reaches the inner reactor"
    );
    assert_eq!(chaos.counts().empty_turns, 3);
    Ok(())
}

#[test]
fn an_unpark_is_never_swallowed_by_an_empty_turn() -> Result<(), Error> {
    let chaos = quiet().empty_turn(1.0).build(EpollReactor::new()?, 4);
    for _ in 0..5 {
        chaos.unpark();
        let turn = chaos.park(None, true)?;
        assert!(turn.unparked, "{turn:?}");
    }
    assert_eq!(chaos.counts().empty_turns, 0);
    Ok(())
}

#[test]
fn reregister_settles_what_is_held_for_a_dropped_direction() -> Result<(), Error> {
    let chaos = quiet().spurious_wake(1.0).build(EpollReactor::new()?, 11);
    let (_a, mut b, key) = socket_pair(&chaos)?;
    let counter = CountingWaker::new();
    let waker = counter.waker();
    assert!(
        chaos
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    chaos.reregister(key, Interest::WRITE)?;
    let woken = counter.count();
    assert!(
        woken >= 1,
        "the inner reactor wakes the dropped direction's waiter"
    );
    b.write_all(b"ignored")?;
    for _ in 0..3 {
        chaos.park(Some(Duration::from_millis(5)), false)?;
    }
    assert_eq!(
        counter.count(),
        woken,
        "no wake-up for Read after it was dropped"
    );
    chaos.deregister(key)?;
    Ok(())
}

#[test]
fn io_faults_cover_each_kind_and_stop_after_three() -> Result<(), Error> {
    let key = baton_protocol::reactor::SourceKey::from_raw(0);
    let would_block = quiet().would_block(1.0).build(EpollReactor::new()?, 5);
    let answers: Vec<_> = (0..8)
        .map(|_| would_block.io_fault(key, Direction::Read))
        .collect();
    let wb = Some(IoFault::WouldBlock);
    assert_eq!(answers, [wb, wb, wb, None, wb, wb, wb, None]);

    let interrupted = quiet().interrupted(1.0).build(EpollReactor::new()?, 5);
    assert_eq!(
        interrupted.io_fault(key, Direction::Write),
        Some(IoFault::Interrupted)
    );

    let short = quiet()
        .short_io(1.0)
        .max_short(4)
        .build(EpollReactor::new()?, 5);
    for _ in 0..30 {
        match short.io_fault(key, Direction::Write) {
            Some(IoFault::Short(n)) => assert!((1..=4).contains(&n), "{n}"),
            None => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        quiet()
            .build(EpollReactor::new()?, 5)
            .io_fault(key, Direction::Read),
        None
    );
    Ok(())
}

/// A waker that logs its id and the instant it was woken.
struct Stamp {
    id: usize,
    log: Arc<Mutex<Vec<(usize, Instant)>>>,
}

impl Wake for Stamp {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push((self.id, Instant::now()));
    }
}

#[test]
fn late_timers_are_never_early_and_stay_in_order() -> Result<(), Error> {
    let chaos = quiet().late_timers(1.0).build(EpollReactor::new()?, 6);
    let inner_resolution = chaos.get_ref().resolution();
    assert_eq!(chaos.resolution(), inner_resolution * 2);
    let log = Arc::new(Mutex::new(Vec::new()));
    let start = chaos.now();
    let mut rng = fastrand::Rng::with_seed(6);
    // Deadlines within 30 ms, several equal ones.
    let deadlines: Vec<Instant> = (0..40)
        .map(|_| start + Duration::from_millis(rng.u64(0..30)))
        .collect();
    let mut keys = Vec::new();
    for (id, &deadline) in deadlines.iter().enumerate() {
        let waker = Waker::from(Arc::new(Stamp {
            id,
            log: Arc::clone(&log),
        }));
        keys.push(chaos.insert_timer(deadline, &waker)?);
    }
    let guard = Instant::now() + HANG_GUARD;
    while log.lock().unwrap().len() < deadlines.len() {
        assert!(Instant::now() < guard, "timers never fired");
        chaos.park(None, true)?;
    }
    let log = log.lock().unwrap();
    for &(id, at) in log.iter() {
        assert!(at >= deadlines[id], "timer {id} fired early");
    }
    let order: Vec<usize> = log.iter().map(|&(id, _)| id).collect();
    let mut expected: Vec<usize> = (0..deadlines.len()).collect();
    expected.sort_by_key(|&id| (deadlines[id], id));
    assert_eq!(
        order, expected,
        "deadline order, equal deadlines in insertion order"
    );
    assert!(chaos.counts().late_turns > 0);
    for key in keys {
        chaos.cancel_timer(key);
    }
    assert_eq!(chaos.stats().timers, 0);
    Ok(())
}

#[test]
fn timers_already_due_fire_on_the_next_turn_even_when_late() -> Result<(), Error> {
    let chaos = quiet().late_timers(1.0).build(EpollReactor::new()?, 10);
    let counter = CountingWaker::new();
    let now = chaos.now();
    let zero = chaos.insert_timer(now, &counter.waker())?;
    let past = chaos.insert_timer(now - Duration::from_millis(1), &counter.waker())?;
    // A later timer keeps the turn's lateness in play.
    let later = chaos.insert_timer(now + Duration::from_secs(60), Waker::noop())?;
    assert_eq!(counter.count(), 0, "never inline");
    let turn = chaos.park(Some(Duration::ZERO), false)?;
    assert_eq!(turn.timers_fired, 2);
    assert_eq!(counter.count(), 2);
    assert_eq!(chaos.counts().late_turns, 1);
    for key in [zero, past, later] {
        chaos.cancel_timer(key);
    }
    Ok(())
}

#[test]
fn an_earlier_timer_from_another_thread_wakes_the_park() -> Result<(), Error> {
    let chaos = Arc::new(quiet().late_timers(1.0).build(EpollReactor::new()?, 7));
    let far = chaos.insert_timer(chaos.now() + Duration::from_secs(30), Waker::noop())?;
    let counter = CountingWaker::new();
    let inserter = {
        let (chaos, waker) = (Arc::clone(&chaos), counter.waker());
        std::thread::spawn(move || {
            chaos.insert_timer(chaos.now() + Duration::from_millis(10), &waker)
        })
    };
    let real = Instant::now();
    while counter.count() == 0 {
        assert!(
            real.elapsed() < HANG_GUARD,
            "the park slept past the new timer"
        );
        chaos.park(None, true)?;
    }
    let near = inserter.join().expect("the inserter thread")?;
    assert!(real.elapsed() < Duration::from_secs(30));
    chaos.cancel_timer(near);
    chaos.cancel_timer(far);
    Ok(())
}

#[test]
fn zero_inner_resolution_leaves_timers_to_the_inner_reactor() -> Result<(), Error> {
    let vt = baton_testing::VirtualTime::new(EpollReactor::new()?);
    let chaos = Chaos::new(vt, 8);
    assert_eq!(chaos.resolution(), Duration::ZERO);
    let key = chaos.insert_timer(chaos.now() + Duration::from_secs(60), Waker::noop())?;
    assert_eq!(
        chaos.get_ref().stats().timers,
        1,
        "the timer is the virtual clock's"
    );
    chaos.cancel_timer(key);
    Ok(())
}

#[test]
fn shutdown_wakes_what_is_held_and_fails_parks() -> Result<(), Error> {
    let chaos = quiet().spurious_wake(1.0).build(EpollReactor::new()?, 9);
    let (_a, _b, key) = socket_pair(&chaos)?;
    let counter = CountingWaker::new();
    let waker = counter.waker();
    assert!(
        chaos
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    chaos.shutdown();
    assert!(counter.count() >= 1);
    assert!(matches!(chaos.park(None, true), Err(Error::Shutdown)));
    chaos.deregister(key)?;
    Ok(())
}
