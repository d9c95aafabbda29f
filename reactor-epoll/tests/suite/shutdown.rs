//! Shutdown and drop (CONFORMANCE.md H): every waiter is woken, every later
//! call fails with `Shutdown`, deregistering still works.

use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use baton_protocol::{Direction, Error, Interest};

use super::util::{HANG, NewReactor, Wakes, pair, ready};

/// `shut.reactor_drop_wakes_io_waiters` (through `shutdown`): I/O and timer
/// waiters are woken; later calls fail with `Shutdown`; `deregister` and
/// `clear_ready` after it do not panic.
pub(crate) fn shutdown_wakes_waiters(new: NewReactor) {
    let r = new();
    let (a, _b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::BOTH).unwrap();
    let tick = ready(&*r, key, Direction::Write);
    let (io, timer) = (Wakes::new(), Wakes::new());
    assert!(io.poll(&*r, key, Direction::Read).is_pending());
    let t = r
        .insert_timer(r.now() + Duration::from_secs(60), timer.waker())
        .unwrap();
    assert!(timer.poll_timer(&*r, t).is_pending());

    r.shutdown();
    assert_eq!(io.count(), 1);
    assert_eq!(timer.count(), 1);
    let shut = |e: &Error| matches!(e, Error::Shutdown);
    assert!(matches!(
        io.poll(&*r, key, Direction::Read),
        Poll::Ready(Err(Error::Shutdown))
    ));
    assert!(matches!(
        timer.poll_timer(&*r, t),
        Poll::Ready(Err(Error::Shutdown))
    ));
    assert!(shut(
        &r.clear_ready(key, Direction::Write, tick).unwrap_err()
    ));
    assert!(shut(&r.reregister(key, Interest::READ).unwrap_err()));
    assert!(shut(&r.close(key).unwrap_err()));
    assert!(shut(
        &r.register(a.as_raw_fd(), Interest::READ).unwrap_err()
    ));
    assert!(shut(&r.insert_timer(r.now(), timer.waker()).unwrap_err()));
    assert!(shut(&r.reset_timer(t, r.now()).unwrap_err()));
    assert!(shut(&r.park(Some(Duration::ZERO), true).unwrap_err()));
    assert!(!r.cancel_timer(t));
    r.unpark();
    r.shutdown();
    r.deregister(key).unwrap();
    r.deregister(key).unwrap();
    assert_eq!(r.stats().registrations, 0);
    assert_eq!(r.stats().timers, 0);
}

/// Dropping the last handle to the reactor shuts it down: waiters are woken.
pub(crate) fn drop_wakes_waiters(new: NewReactor) {
    let r = new();
    let (a, _b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    let (io, timer) = (Wakes::new(), Wakes::new());
    assert!(io.poll(&*r, key, Direction::Read).is_pending());
    r.insert_timer(r.now() + Duration::from_secs(60), timer.waker())
        .unwrap();
    drop(r);
    assert_eq!((io.count(), timer.count()), (1, 1));
}

/// A shutdown from another thread ends a park without a timeout.
pub(crate) fn shutdown_ends_park(new: NewReactor) {
    let r = new();
    let (started, parked) = mpsc::channel();
    let parker = {
        let r = r.clone();
        thread::spawn(move || {
            started.send(()).unwrap();
            let start = Instant::now();
            let _ = r.park(None, true);
            start.elapsed()
        })
    };
    parked.recv().unwrap();
    r.shutdown();
    assert!(parker.join().unwrap() < HANG);
}

/// `err.close_source_fails_waiters` (Decision 7): `close` wakes waiters with
/// `Closed` first; later polls fail at once; closing twice is `Ok`; the slot
/// stays until `deregister`.
pub(crate) fn close_fails_waiters(new: NewReactor) {
    let r = new();
    let (a, _b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::BOTH).unwrap();
    let tick = ready(&*r, key, Direction::Write);
    let w = Wakes::new();
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    r.close(key).unwrap();
    assert_eq!(w.count(), 1);
    assert!(matches!(
        w.poll(&*r, key, Direction::Read),
        Poll::Ready(Err(Error::Closed))
    ));
    assert!(matches!(
        w.poll(&*r, key, Direction::Write),
        Poll::Ready(Err(Error::Closed))
    ));
    assert!(matches!(
        r.clear_ready(key, Direction::Write, tick),
        Err(Error::Closed)
    ));
    assert!(matches!(
        r.reregister(key, Interest::READ),
        Err(Error::Closed)
    ));
    r.close(key).unwrap();
    assert_eq!(r.stats().registrations, 1);
    // The fd left the poller: it can be registered again meanwhile.
    let again = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    r.deregister(again).unwrap();
    r.deregister(key).unwrap();
    assert_eq!(r.stats().registrations, 0);
    assert!(matches!(r.close(key), Err(Error::NotRegistered)));
}
