//! The guest seam (`Reactor::guest_fd`, `Reactor::guest_wait`): what a
//! host loop (tokio, smol) relies on to drive the reactor from outside.
//! A reactor without a guest fd (the poll(2) build) must say so.

use std::io::Write;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use baton_protocol::{Direction, Error, Interest, Reactor};

use super::util::{HANG, NewReactor, Wakes, pair};

/// Whether `fd` polls readable within `timeout`.
fn readable(fd: BorrowedFd<'_>, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `pfd` is one valid `pollfd`, and the count says one.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    n == 1 && pfd.revents & libc::POLLIN != 0
}

/// The reactor's guest fd, or `None` after checking that a reactor without
/// one refuses `guest_wait` with `Unsupported`.
fn guest(r: &Arc<dyn Reactor>) -> Option<BorrowedFd<'_>> {
    let fd = r.guest_fd();
    if fd.is_none() {
        assert!(matches!(r.guest_wait(), Err(Error::Unsupported(_))));
    }
    fd
}

/// An OS event on a registered source, and an unpark, turn the guest fd
/// readable; a non-blocking park consumes them and it is quiet again.
pub(crate) fn fd_readable_on_event_and_unpark(new: NewReactor) {
    let r = new();
    let Some(fd) = guest(&r) else { return };
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    let wakes = Wakes::new();
    assert!(wakes.poll(&*r, key, Direction::Read).is_pending());
    r.park(Some(Duration::ZERO), false).unwrap();
    assert_eq!(r.guest_wait().unwrap(), None, "no timer pending");
    assert!(!readable(fd, Duration::ZERO), "quiet before any event");

    b.write_all(b"x").unwrap();
    assert!(readable(fd, HANG), "an event turns the fd readable");
    let turn = r.park(Some(Duration::ZERO), false).unwrap();
    assert_eq!(turn.events, 1);
    assert_eq!(wakes.count(), 1);
    r.guest_wait().unwrap();
    assert!(!readable(fd, Duration::ZERO), "the turn consumed the event");

    let unparker = Arc::clone(&r);
    thread::spawn(move || unparker.unpark()).join().unwrap();
    assert!(
        readable(fd, HANG),
        "an unpark from another thread turns it readable"
    );
    assert!(r.park(Some(Duration::ZERO), false).unwrap().unparked);
    r.deregister(key).unwrap();
}

/// `guest_wait` gives the nearest deadline; a timer inserted earlier than
/// it afterwards turns the fd readable; a due timer fires in the next
/// non-blocking park, never before its deadline.
pub(crate) fn wait_reports_deadline_and_earlier_timer_wakes(new: NewReactor) {
    let r = new();
    let Some(fd) = guest(&r) else { return };
    let wakes = Wakes::new();
    let far = r.now() + Duration::from_secs(3600);
    r.insert_timer(far, wakes.waker()).unwrap();
    r.park(Some(Duration::ZERO), false).unwrap();
    assert_eq!(r.guest_wait().unwrap(), Some(far));
    assert!(!readable(fd, Duration::ZERO));

    let near = r.now() + Duration::from_millis(2);
    let other = Arc::clone(&r);
    let waker = wakes.waker().clone();
    thread::spawn(move || other.insert_timer(near, &waker).unwrap())
        .join()
        .unwrap();
    assert!(readable(fd, HANG), "an earlier timer turns the fd readable");
    r.park(Some(Duration::ZERO), false).unwrap();
    if wakes.count() == 0 {
        // Not yet due: the host is told to come back at its deadline.
        assert_eq!(r.guest_wait().unwrap(), Some(near));
        // Wait out the deadline, as the host's timer does.
        thread::sleep(near.saturating_duration_since(Instant::now()));
        r.park(Some(Duration::ZERO), false).unwrap();
    }
    assert_eq!(wakes.count(), 1, "a due timer fires in the next turn");
    assert_eq!(r.guest_wait().unwrap(), Some(far));
    assert!(r.now() >= near, "fired no earlier than its deadline");
}

/// After shutdown, `guest_wait` fails with `Shutdown`, so a host's driver
/// ends.
pub(crate) fn wait_after_shutdown_is_shutdown(new: NewReactor) {
    let r = new();
    if guest(&r).is_none() {
        return;
    }
    r.shutdown();
    assert!(matches!(r.guest_wait(), Err(Error::Shutdown)));
}
