//! Bad input is an error value, the same on every reactor (CONFORMANCE.md I,
//! Decisions 4 and 6).

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::task::Poll;
use std::time::{Duration, Instant};

use baton_protocol::reactor::{SourceKey, Tick, TimerKey};
use baton_protocol::{Direction, Error, Interest};

use super::util::{NewReactor, Wakes, pair, park_until};

fn invalid_input(e: &Error) -> bool {
    matches!(e, Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidInput)
}

/// `err.register_invalid_fd`: −1 and −10 are `InvalidInput`; an fd number
/// that cannot be open is `EBADF`; no slot is left behind.
pub(crate) fn register_invalid_fd(new: NewReactor) {
    let r = new();
    for fd in [-1, -10, i32::MIN] {
        assert!(
            invalid_input(&r.register(fd, Interest::READ).unwrap_err()),
            "fd {fd}"
        );
    }
    // Far above any descriptor limit, so never open.
    match r.register(i32::MAX - 1, Interest::BOTH).unwrap_err() {
        Error::Io(e) => assert_eq!(e.raw_os_error(), Some(libc::EBADF), "{e}"),
        e => panic!("{e:?}"),
    }
    assert_eq!(r.stats().registrations, 0);
}

/// `err.regular_file_policy` (Decision 4): regular files and directories
/// are `Unsupported`, on every backend.
pub(crate) fn regular_file_unsupported(new: NewReactor) {
    let r = new();
    let dir = std::env::temp_dir();
    let path = dir.join(format!("baton-reactor-regular-{}", std::process::id()));
    let mut file = File::create(&path).unwrap();
    file.write_all(b"data").unwrap();
    let e = r.register(file.as_raw_fd(), Interest::READ).unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    let directory = File::open(&dir).unwrap();
    let e = r
        .register(directory.as_raw_fd(), Interest::READ)
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(r.stats().registrations, 0);
}

/// `err.double_register`: the second registration fails and the first keeps
/// delivering events.
pub(crate) fn double_register(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    assert!(matches!(
        r.register(a.as_raw_fd(), Interest::WRITE),
        Err(Error::AlreadyRegistered)
    ));
    assert_eq!(r.stats().registrations, 1);
    let w = Wakes::new();
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    b.write_all(&[1]).unwrap();
    park_until(&*r, || w.count() > 0);
    r.deregister(key).unwrap();
}

/// `err.deregister_or_modify_unknown`: unknown and stale keys are
/// `NotRegistered` everywhere; a direction outside the interest is
/// `InvalidInput`.
pub(crate) fn unknown_keys(new: NewReactor) {
    let r = new();
    let (a, _b) = pair();
    let w = Wakes::new();
    let stale = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    r.deregister(stale).unwrap();
    for key in [
        stale,
        SourceKey::from_raw(12_345),
        SourceKey::from_raw(u64::MAX),
    ] {
        assert!(matches!(r.deregister(key), Err(Error::NotRegistered)));
        assert!(matches!(
            r.reregister(key, Interest::BOTH),
            Err(Error::NotRegistered)
        ));
        assert!(matches!(r.close(key), Err(Error::NotRegistered)));
        assert!(matches!(
            r.clear_ready(key, Direction::Read, Tick::from_raw(0)),
            Err(Error::NotRegistered)
        ));
        assert!(matches!(
            w.poll(&*r, key, Direction::Read),
            Poll::Ready(Err(Error::NotRegistered))
        ));
    }
    for key in [TimerKey::from_raw(7), TimerKey::from_raw(u64::MAX)] {
        assert!(matches!(
            w.poll_timer(&*r, key),
            Poll::Ready(Err(Error::NotRegistered))
        ));
        assert!(matches!(
            r.reset_timer(key, r.now()),
            Err(Error::NotRegistered)
        ));
        assert!(!r.cancel_timer(key));
    }
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    let e = match w.poll(&*r, key, Direction::Write) {
        Poll::Ready(Err(e)) => e,
        other => panic!("{other:?}"),
    };
    assert!(invalid_input(&e), "{e:?}");
    r.deregister(key).unwrap();
    assert_eq!(r.stats().registrations, 0);
}

/// `Duration::MAX` timeouts and deadlines far in the future or the past
/// neither panic nor overflow.
pub(crate) fn extreme_durations_and_deadlines(new: NewReactor) {
    let r = new();
    r.unpark();
    let turn = r.park(Some(Duration::MAX), true).unwrap();
    assert!(turn.unparked);

    let w = Wakes::new();
    let now = r.now();
    let far = [
        now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)),
        now.checked_add(Duration::from_secs(u64::from(u32::MAX))),
    ];
    let mut keys = Vec::new();
    for deadline in far.into_iter().flatten() {
        keys.push(r.insert_timer(deadline, w.waker()).unwrap());
    }
    let past = now.checked_sub(Duration::from_secs(3600)).unwrap_or(now);
    let past_key = r.insert_timer(past, w.waker()).unwrap();
    let start = Instant::now();
    let turn = r.park(Some(Duration::MAX), true).unwrap();
    assert_eq!(turn.timers_fired, 1, "the past deadline fires on this turn");
    assert!(start.elapsed() < super::util::HANG);
    r.unpark();
    assert!(
        r.park(None, true).unwrap().unparked,
        "a far deadline is a long wait, not an error"
    );
    for key in &keys {
        r.reset_timer(
            *key,
            now.checked_add(Duration::from_secs(1 << 40)).unwrap_or(now),
        )
        .unwrap();
        assert!(r.cancel_timer(*key));
    }
    assert!(!r.cancel_timer(past_key));
    assert_eq!(r.stats().timers, 0);
}
