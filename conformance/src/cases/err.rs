//! I. Bad input: every reactor gives the same error values, never a panic,
//! never a slot left behind.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Context;
use std::time::Duration;

use baton_protocol::reactor::{SourceKey, Tick, TimerKey};
use baton_protocol::{Direction, Error, Interest};

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::util::{WakeCount, park_until, socketpair, wait_ready};
use crate::{ensure, ensure_eq, ensure_matches};

pub(crate) const CASES: &[Case] = &[
    case!(
        "err.register_invalid_fd",
        "a closed fd gives EBADF, -1 and -10 give InvalidInput; no slot is left behind",
        [],
        register_invalid_fd
    ),
    case!(
        "err.double_register",
        "registering an fd twice is AlreadyRegistered and the first registration keeps working",
        [],
        double_register
    ),
    case!(
        "err.deregister_or_modify_unknown",
        "deregistering or modifying an unknown or stale key is NotRegistered",
        [],
        deregister_or_modify_unknown
    ),
    case!(
        "err.failed_modify_cleans_up",
        "an OS-rejected registration or modify reaches the caller and leaves no half entry",
        [],
        failed_modify_cleans_up
    ),
    case!(
        "err.regular_file_policy",
        "regular files and directories are Unsupported on every reactor (Decision 4)",
        [],
        regular_file_policy
    ),
    case!(
        "err.close_source_fails_waiters",
        "close wakes every waiter with Closed before returning; later waits fail at once",
        [],
        close_source_fails_waiters
    ),
    case!(
        "err.no_panic_fuzz",
        "10 000 seeded random reactor calls never panic and leave the counts consistent",
        [],
        watchdog = 60,
        no_panic_fuzz
    ),
];

fn register_invalid_fd(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let before = reactor.stats();
    let (a, _b) = socketpair()?;
    let closed = a.as_raw_fd();
    drop(a);
    match reactor.register(closed, Interest::READ) {
        Err(Error::Io(e)) => ensure_eq!(
            e.raw_os_error(),
            Some(libc::EBADF),
            "a closed fd gave the wrong OS error: {e}"
        ),
        other => {
            // The number may have been reused by another thread's fd in the
            // meantime; then registering it is legitimate. Only a success
            // for a number that is really closed is wrong.
            if let Ok(key) = other {
                let reused = is_open(closed);
                reactor.deregister(key)?;
                ensure!(reused, "registering a closed fd succeeded");
            } else {
                return Err(Failure::new(format!(
                    "a closed fd gave {other:?}, not EBADF"
                )));
            }
        }
    }
    for fd in [-1, -10] {
        ensure_matches!(
            reactor.register(fd, Interest::BOTH),
            Err(Error::Io(ref e)) if e.kind() == io::ErrorKind::InvalidInput
        );
    }
    ensure_eq!(
        reactor.stats(),
        before,
        "a failed registration left a slot behind"
    );
    Ok(())
}

fn is_open(fd: RawFd) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{fd}")).is_ok()
}

fn double_register(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    let before = reactor.stats();
    ensure_matches!(
        reactor.register(a.as_raw_fd(), Interest::READ),
        Err(Error::AlreadyRegistered)
    );
    ensure_eq!(reactor.stats(), before);
    // The first registration still delivers.
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    let mut cx = Context::from_waker(&waker);
    ensure!(
        reactor
            .poll_ready(key, Direction::Read, &mut cx)
            .is_pending()
    );
    b.write_all(b"x")?;
    let woke = park_until(&*reactor, Duration::from_secs(5), || wakes.count() > 0)?;
    ensure!(
        woke,
        "the first registration stopped delivering after the rejected second one"
    );
    // The wake-up may have been a spurious one; the readiness still comes.
    wait_ready(&*reactor, key, Direction::Read)?;
    reactor.deregister(key)?;
    Ok(())
}

fn deregister_or_modify_unknown(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let bogus = SourceKey::from_raw(0xdead_beef_0000_0001);
    ensure_matches!(reactor.deregister(bogus), Err(Error::NotRegistered));
    ensure_matches!(
        reactor.reregister(bogus, Interest::BOTH),
        Err(Error::NotRegistered)
    );
    ensure_matches!(reactor.close(bogus), Err(Error::NotRegistered));
    ensure_matches!(
        reactor.clear_ready(bogus, Direction::Read, Tick::from_raw(0)),
        Err(Error::NotRegistered)
    );
    let waker = WakeCount::new().waker();
    ensure_matches!(
        reactor.poll_ready(bogus, Direction::Write, &mut Context::from_waker(&waker)),
        std::task::Poll::Ready(Err(Error::NotRegistered))
    );
    // A key that was valid once is stale after deregistration, even when
    // the OS hands the same fd number to the next socket.
    let (a, _b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::BOTH)?;
    reactor.deregister(key)?;
    ensure_matches!(reactor.deregister(key), Err(Error::NotRegistered));
    ensure_matches!(
        reactor.reregister(key, Interest::READ),
        Err(Error::NotRegistered)
    );
    let again = reactor.register(a.as_raw_fd(), Interest::BOTH)?;
    ensure!(again != key, "a key was reused for a new registration");
    ensure_matches!(reactor.deregister(key), Err(Error::NotRegistered));
    reactor.deregister(again)?;
    ensure_eq!(reactor.stats().registrations, 0);
    Ok(())
}

fn failed_modify_cleans_up(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let baseline = reactor.stats().registrations;
    let (keep, mut keep_peer) = socketpair()?;
    let kept = reactor.register(keep.as_raw_fd(), Interest::READ)?;

    // The OS rejects these registrations; each error comes back as is.
    let file = scratch_file("failed-modify")?;
    ensure_matches!(
        reactor.register(file.as_raw_fd(), Interest::READ),
        Err(Error::Unsupported(_))
    );
    ensure_eq!(reactor.stats().registrations, baseline + 1);

    // An fd closed behind the reactor's back: the modify may fail (epoll
    // says EBADF) or not (poll(2) learns it at the next wait), but removing
    // the registration must always free the slot.
    let (a, _b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    drop(a);
    let modify = reactor.reregister(key, Interest::BOTH);
    if let Err(e) = &modify {
        ensure_matches!(e, Error::Io(_));
    }
    let _ = reactor.deregister(key);
    ensure_eq!(
        reactor.stats().registrations,
        baseline + 1,
        "a registration whose fd vanished was left behind"
    );

    // The other source was never disturbed.
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    ensure!(
        reactor
            .poll_ready(kept, Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    keep_peer.write_all(b"k")?;
    ensure!(
        park_until(&*reactor, Duration::from_secs(5), || wakes.count() > 0)?,
        "a failed registration disturbed another source"
    );
    reactor.deregister(kept)?;
    ensure_eq!(reactor.stats().registrations, baseline);
    Ok(())
}

fn regular_file_policy(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let before = reactor.stats();
    let file = scratch_file("regular")?;
    ensure_matches!(
        reactor.register(file.as_raw_fd(), Interest::BOTH),
        Err(Error::Unsupported(_))
    );
    let dir = File::open(std::env::temp_dir())?;
    ensure_matches!(
        reactor.register(dir.as_raw_fd(), Interest::READ),
        Err(Error::Unsupported(_))
    );
    ensure_eq!(reactor.stats(), before);
    Ok(())
}

fn close_source_fails_waiters(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, _b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::BOTH)?;
    let readers: Vec<Arc<WakeCount>> = (0..3).map(|_| WakeCount::new()).collect();
    for r in &readers {
        let waker = r.waker();
        ensure!(
            reactor
                .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
                .is_pending()
        );
    }
    reactor.close(key)?;
    // Woken before close returned: no park needed.
    for (i, r) in readers.iter().enumerate() {
        ensure_eq!(r.count(), 1, "waiter {i} was not woken by close");
        let waker = r.waker();
        ensure_matches!(
            reactor.poll_ready(key, Direction::Read, &mut Context::from_waker(&waker)),
            std::task::Poll::Ready(Err(Error::Closed))
        );
    }
    let waker = readers[0].waker();
    ensure_matches!(
        reactor.poll_ready(key, Direction::Write, &mut Context::from_waker(&waker)),
        std::task::Poll::Ready(Err(Error::Closed))
    );
    ensure!(reactor.close(key).is_ok(), "closing twice must be Ok");
    reactor.deregister(key)?;
    ensure_eq!(reactor.stats().registrations, 0);
    Ok(())
}

fn no_panic_fuzz(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let mut rng = fastrand::Rng::with_seed(ctx.seed());
    let mut sockets = Vec::new();
    for _ in 0..8 {
        sockets.push(socketpair()?);
    }
    let mut keys: Vec<SourceKey> = Vec::new();
    let mut timers: Vec<TimerKey> = Vec::new();
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    let now = reactor.now();
    for op in 0..10_000 {
        let choice = rng.u8(..10);
        let result = catch_unwind(AssertUnwindSafe(|| -> Result<(), Error> {
            let mut cx = Context::from_waker(&waker);
            let key = pick_key(&mut rng, &keys);
            let dir = if rng.bool() {
                Direction::Read
            } else {
                Direction::Write
            };
            match choice {
                0 => {
                    let fd = match rng.u8(..4) {
                        0 => sockets[rng.usize(..sockets.len())].0.as_raw_fd(),
                        1 => -rng.i32(1..1000),
                        2 => rng.i32(10_000..1_000_000),
                        _ => sockets[rng.usize(..sockets.len())].1.as_raw_fd(),
                    };
                    let interest =
                        [Interest::READ, Interest::WRITE, Interest::BOTH][rng.usize(..3)];
                    if let Ok(k) = reactor.register(fd, interest) {
                        keys.push(k);
                    }
                }
                1 => {
                    if reactor.deregister(key).is_ok() {
                        keys.retain(|k| *k != key);
                    }
                }
                2 => {
                    let interest =
                        [Interest::READ, Interest::WRITE, Interest::BOTH][rng.usize(..3)];
                    let _ = reactor.reregister(key, interest);
                }
                3 => {
                    let _ = reactor.poll_ready(key, dir, &mut cx);
                }
                4 => {
                    let _ = reactor.clear_ready(key, dir, Tick::from_raw(rng.u64(..)));
                }
                5 => {
                    let deadline = match rng.u8(..3) {
                        0 => now
                            .checked_sub(Duration::from_millis(rng.u64(..1000)))
                            .unwrap_or(now),
                        1 => now + Duration::from_millis(rng.u64(..50)),
                        _ => now + Duration::from_secs(rng.u64(..1_000_000_000)),
                    };
                    timers.push(reactor.insert_timer(deadline, &waker)?);
                }
                6 => {
                    let t = pick_timer(&mut rng, &timers);
                    let _ = reactor.reset_timer(t, now + Duration::from_millis(rng.u64(..100)));
                }
                7 => {
                    let t = pick_timer(&mut rng, &timers);
                    reactor.cancel_timer(t);
                    timers.retain(|k| *k != t);
                }
                8 => {
                    let t = pick_timer(&mut rng, &timers);
                    let _ = reactor.poll_timer(t, &mut cx);
                }
                _ => {
                    reactor.park(Some(Duration::ZERO), false)?;
                }
            }
            Ok(())
        }));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(Failure::new(format!(
                    "operation {op} (kind {choice}) failed unexpectedly: {e} (seed {})",
                    ctx.seed()
                )));
            }
            Err(payload) => {
                return Err(Failure::new(format!(
                    "operation {op} (kind {choice}) panicked: {} (seed {})",
                    Error::from_panic(&*payload),
                    ctx.seed()
                )));
            }
        }
    }
    ensure_eq!(
        reactor.stats().registrations,
        keys.len(),
        "registration count drifted"
    );
    ensure_eq!(reactor.stats().timers, timers.len(), "timer count drifted");
    for k in keys {
        reactor.deregister(k)?;
    }
    for t in timers {
        reactor.cancel_timer(t);
    }
    ensure_eq!(reactor.stats().registrations, 0);
    ensure_eq!(reactor.stats().timers, 0);
    Ok(())
}

/// A live key most of the time, a made-up one otherwise.
fn pick_key(rng: &mut fastrand::Rng, keys: &[SourceKey]) -> SourceKey {
    if keys.is_empty() || rng.u8(..4) == 0 {
        SourceKey::from_raw(rng.u64(..))
    } else {
        keys[rng.usize(..keys.len())]
    }
}

fn pick_timer(rng: &mut fastrand::Rng, timers: &[TimerKey]) -> TimerKey {
    if timers.is_empty() || rng.u8(..4) == 0 {
        TimerKey::from_raw(rng.u64(..))
    } else {
        timers[rng.usize(..timers.len())]
    }
}

/// A regular file in the temporary folder, removed again at once (the open
/// descriptor keeps it alive).
fn scratch_file(tag: &str) -> io::Result<File> {
    let path = std::env::temp_dir().join(format!(
        "baton-conformance-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let file = File::create(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}
