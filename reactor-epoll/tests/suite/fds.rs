//! File-descriptor hygiene, in its own test binary: these cases count and
//! reuse fd numbers, which other tests running in parallel threads would
//! disturb. A lock keeps the cases of this binary apart.

use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use baton_protocol::{Direction, Error, Interest, Reactor};

use crate::util::{Wakes, drain, pair, park_until};

static FDS: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").unwrap().count()
}

/// No fd of the reactor itself leaks across 100 create/drop cycles.
pub(crate) fn no_fd_leak(new: fn() -> Arc<dyn Reactor>) {
    let _guard = FDS.lock().unwrap_or_else(|e| e.into_inner());
    // Warm up anything created once per process.
    drop(new());
    let before = open_fds();
    for _ in 0..100 {
        let r = new();
        r.unpark();
        r.park(None, true).unwrap();
        drop(r);
    }
    assert_eq!(open_fds(), before);
}

/// `err.register_invalid_fd`: an fd that was just closed gives `EBADF`, and
/// no slot is left behind.
pub(crate) fn register_closed_fd(new: fn() -> Arc<dyn Reactor>) {
    let _guard = FDS.lock().unwrap_or_else(|e| e.into_inner());
    let r = new();
    let fd = {
        let (a, _b) = UnixStream::pair().unwrap();
        a.as_raw_fd()
    };
    match r.register(fd, Interest::READ) {
        Err(Error::Io(e)) => assert_eq!(e.raw_os_error(), Some(libc::EBADF), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.stats().registrations, 0);
}

/// Decision 7: an fd closed under a waiter without telling the reactor
/// neither hangs the park nor disturbs other sources; deregistering it later
/// is still `Ok`.
pub(crate) fn closed_under_waiter_others_unaffected(new: fn() -> Arc<dyn Reactor>) {
    let _guard = FDS.lock().unwrap_or_else(|e| e.into_inner());
    let r = new();
    let (a, _a_peer) = pair();
    let (c, mut c_peer) = pair();
    let ka = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    let kc = r.register(c.as_raw_fd(), Interest::READ).unwrap();
    let (wa, wc) = (Wakes::new(), Wakes::new());
    assert!(wa.poll(&*r, ka, Direction::Read).is_pending());
    assert!(wc.poll(&*r, kc, Direction::Read).is_pending());
    drop(a);
    r.park(Some(Duration::from_millis(20)), true).unwrap();
    c_peer.write_all(&[1]).unwrap();
    park_until(&*r, || wc.count() > 0);
    assert_eq!(drain(&c), 1);
    r.deregister(ka).unwrap();
    r.deregister(kc).unwrap();
    assert_eq!(r.stats().registrations, 0);
}

/// Decision 7: when the number of an fd closed without deregistering names
/// a new file, registering that file succeeds (epoll forgot the old one);
/// the stale source is closed, its waiter woken to see `Closed`.
pub(crate) fn closed_fd_number_reused(new: fn() -> Arc<dyn Reactor>) {
    let _guard = FDS.lock().unwrap_or_else(|e| e.into_inner());
    let r = new();
    let (a, _a_peer) = pair();
    let number = a.as_raw_fd();
    let old = r.register(number, Interest::READ).unwrap();
    let stale = Wakes::new();
    assert!(stale.poll(&*r, old, Direction::Read).is_pending());
    drop(a);
    let (c, mut c_peer) = pair();
    assert_eq!(c.as_raw_fd(), number, "the lowest free number is reused");
    let key = r.register(number, Interest::READ).unwrap();
    assert_eq!(stale.count(), 1);
    assert!(matches!(
        stale.poll(&*r, old, Direction::Read),
        Poll::Ready(Err(Error::Closed))
    ));
    let w = Wakes::new();
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    c_peer.write_all(&[1]).unwrap();
    park_until(&*r, || w.count() > 0);
    // A genuine second registration of the live file is still refused.
    assert!(matches!(
        r.register(number, Interest::READ),
        Err(Error::AlreadyRegistered)
    ));
    r.deregister(old).unwrap();
    // Deregistering the stale key left the new registration in place.
    c_peer.write_all(&[2]).unwrap();
    assert_eq!(drain(&c), 2);
    let tick = match w.poll(&*r, key, Direction::Read) {
        Poll::Ready(Ok(tick)) => tick,
        other => panic!("{other:?}"),
    };
    r.clear_ready(key, Direction::Read, tick).unwrap();
    let w = Wakes::new();
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    c_peer.write_all(&[3]).unwrap();
    park_until(&*r, || w.count() > 0);
    r.deregister(key).unwrap();
    assert_eq!(r.stats().registrations, 0);
}
