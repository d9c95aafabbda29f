//! Re-arming: cached readiness, `clear_ready`, interest changes and
//! deregistration (CONFORMANCE.md B). Edge (mio) and oneshot (polling)
//! reactors must pass the same cases.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::task::Poll;
use std::time::{Duration, Instant};

use baton_protocol::{Direction, Error, Interest};

use super::util::{NewReactor, Wakes, drain, fill, pair, park_until, ready};

/// `rearm.partial_read_stays_ready`: reading part of the data leaves the
/// direction ready, with no new event.
pub(crate) fn partial_read_stays_ready(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    b.write_all(&[1; 10]).unwrap();
    let tick = ready(&*r, key, Direction::Read);
    assert_eq!((&a).read(&mut [0u8; 3]).unwrap(), 3);
    let w = Wakes::new();
    assert!(matches!(w.poll(&*r, key, Direction::Read), Poll::Ready(Ok(t)) if t == tick));
    r.deregister(key).unwrap();
}

/// `rearm.new_data_after_clear_wakes`: drain, clear, and the next write
/// wakes the reader again.
pub(crate) fn new_data_after_clear_wakes(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    for round in 0..3 {
        b.write_all(&[round; 5]).unwrap();
        let tick = ready(&*r, key, Direction::Read);
        assert_eq!(drain(&a), 5);
        r.clear_ready(key, Direction::Read, tick).unwrap();
        let w = Wakes::new();
        assert!(w.poll(&*r, key, Direction::Read).is_pending());
        b.write_all(&[round]).unwrap();
        park_until(&*r, || w.count() > 0);
        assert_eq!(drain(&a), 1);
        let tick = ready(&*r, key, Direction::Read);
        r.clear_ready(key, Direction::Read, tick).unwrap();
    }
    r.deregister(key).unwrap();
}

/// `rearm.no_wake_storm_after_clear`: after drain and clear with no new
/// data, a waiter is woken at most a few times in 100 ms.
pub(crate) fn no_wake_storm_after_clear(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::BOTH).unwrap();
    b.write_all(&[1; 5]).unwrap();
    let tick = ready(&*r, key, Direction::Read);
    drain(&a);
    r.clear_ready(key, Direction::Read, tick).unwrap();
    let w = Wakes::new();
    let start = Instant::now();
    let mut turns = 0;
    while start.elapsed() < Duration::from_millis(100) {
        if let Poll::Ready(Ok(tick)) = w.poll(&*r, key, Direction::Read) {
            // A spurious readiness: the read says so, clear and wait again.
            assert_eq!(drain(&a), 0);
            r.clear_ready(key, Direction::Read, tick).unwrap();
        }
        r.park(Some(Duration::from_millis(10)), true).unwrap();
        turns += 1;
    }
    assert!(turns >= 5, "parks returned early: {turns} turns in 100 ms");
    assert!(w.count() <= 2, "{} wake-ups of an idle reader", w.count());
    r.deregister(key).unwrap();
}

/// `rearm.clear_with_data_left_no_hang`: `clear_ready` with data still
/// buffered must not wait for an edge that will not come.
pub(crate) fn clear_with_data_left_no_hang(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    b.write_all(&[1; 10]).unwrap();
    let tick = ready(&*r, key, Direction::Read);
    assert_eq!((&a).read(&mut [0u8; 3]).unwrap(), 3);
    r.clear_ready(key, Direction::Read, tick).unwrap();
    let w = Wakes::new();
    if w.poll(&*r, key, Direction::Read).is_pending() {
        park_until(&*r, || w.count() > 0);
    }
    assert!(matches!(w.poll(&*r, key, Direction::Read), Poll::Ready(Ok(t)) if t != tick));
    assert_eq!(drain(&a), 7);
    r.deregister(key).unwrap();
}

/// `rearm.interest_union_preserved`: adding a Write waiter while a Read
/// waiter is pending keeps Read armed; each event wakes only its waiter.
pub(crate) fn interest_union_preserved(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::BOTH).unwrap();
    let rd = Wakes::new();
    assert!(rd.poll(&*r, key, Direction::Read).is_pending());
    let tick = ready(&*r, key, Direction::Write);
    fill(&a);
    r.clear_ready(key, Direction::Write, tick).unwrap();
    let wr = Wakes::new();
    assert!(wr.poll(&*r, key, Direction::Write).is_pending());

    b.write_all(&[1]).unwrap();
    park_until(&*r, || rd.count() > 0);
    assert_eq!(wr.count(), 0);
    drain(&b);
    park_until(&*r, || wr.count() > 0);
    assert_eq!(rd.count(), 1);
    r.deregister(key).unwrap();
}

/// `rearm.reregister_overrides`: a new interest replaces the old one:
/// waiters of a dropped direction are woken, the direction stops reporting
/// and polls fail; a direction added later reports current readiness.
pub(crate) fn reregister_overrides(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    let rd = Wakes::new();
    assert!(rd.poll(&*r, key, Direction::Read).is_pending());
    r.reregister(key, Interest::WRITE).unwrap();
    assert_eq!(rd.count(), 1, "the dropped direction's waiter is woken");
    assert!(matches!(
        rd.poll(&*r, key, Direction::Read),
        Poll::Ready(Err(Error::Io(e))) if e.kind() == std::io::ErrorKind::InvalidInput
    ));
    ready(&*r, key, Direction::Write);

    b.write_all(&[1]).unwrap();
    let turn = r.park(Some(Duration::from_millis(20)), true).unwrap();
    assert_eq!(turn.events, 0, "a read event after Read left the interest");

    r.reregister(key, Interest::READ).unwrap();
    ready(&*r, key, Direction::Read);
    assert_eq!(drain(&a), 1);
    r.deregister(key).unwrap();
}

/// `rearm.deregister_suppresses_pending_event`: a connection arrives, the
/// listener is deregistered before the park: the park reports the unpark
/// only.
pub(crate) fn deregister_suppresses_pending_event(new: NewReactor) {
    let r = new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let key = r.register(listener.as_raw_fd(), Interest::READ).unwrap();
    let w = Wakes::new();
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    r.deregister(key).unwrap();
    assert_eq!(w.count(), 1, "deregister wakes the waiter");
    r.unpark();
    let turn = r.park(Some(Duration::from_millis(50)), true).unwrap();
    assert!(turn.unparked);
    assert_eq!(turn.events, 0, "an event of a deregistered source");
    assert_eq!(w.count(), 1);
    assert!(matches!(
        w.poll(&*r, key, Direction::Read),
        Poll::Ready(Err(Error::NotRegistered))
    ));
}

/// `rearm.register_after_deregister`: the same fd registers again under a
/// new key and delivers events; the old key stays dead.
pub(crate) fn register_after_deregister(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let old = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    r.deregister(old).unwrap();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    assert_ne!(key, old);
    let w = Wakes::new();
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    assert!(matches!(
        w.poll(&*r, old, Direction::Read),
        Poll::Ready(Err(Error::NotRegistered))
    ));
    b.write_all(&[1]).unwrap();
    park_until(&*r, || w.count() > 0);
    assert_eq!(drain(&a), 1);
    assert_eq!(
        r.deregister(old).unwrap_err().to_string(),
        Error::NotRegistered.to_string()
    );
    r.deregister(key).unwrap();
}

/// `rearm.waiter_policy` (Decision 1): every waiter on one direction is
/// woken; a waker that `will_wake` a stored one replaces it.
pub(crate) fn several_waiters_all_woken(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    let waiters = [Wakes::new(), Wakes::new(), Wakes::new()];
    for w in &waiters {
        assert!(w.poll(&*r, key, Direction::Read).is_pending());
    }
    // The same waker again replaces itself instead of queueing twice.
    assert!(waiters[0].poll(&*r, key, Direction::Read).is_pending());
    b.write_all(&[1]).unwrap();
    park_until(&*r, || waiters.iter().all(|w| w.count() > 0));
    r.park(Some(Duration::ZERO), true).unwrap();
    for w in &waiters {
        assert_eq!(w.count(), 1);
    }
    r.deregister(key).unwrap();
}

/// `clear_ready` with a tick older than the current one keeps the newer
/// readiness (a backend reports data that arrives while the direction is
/// already ready with a new tick, or not at all; both are allowed, and the
/// first must never be lost).
pub(crate) fn stale_tick_keeps_newer_readiness(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    b.write_all(&[1]).unwrap();
    let old = ready(&*r, key, Direction::Read);
    b.write_all(&[2]).unwrap();
    r.park(Some(Duration::from_millis(20)), true).unwrap();
    let w = Wakes::new();
    let Poll::Ready(Ok(current)) = w.poll(&*r, key, Direction::Read) else {
        panic!("read readiness was lost");
    };
    r.clear_ready(key, Direction::Read, old).unwrap();
    if current != old {
        assert!(
            matches!(w.poll(&*r, key, Direction::Read), Poll::Ready(Ok(t)) if t == current),
            "a stale tick cleared a newer readiness"
        );
    }
    // Either way the data is reported.
    ready(&*r, key, Direction::Read);
    assert_eq!(drain(&a), 2);
    r.deregister(key).unwrap();
}
