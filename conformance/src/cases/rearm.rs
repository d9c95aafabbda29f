//! B. Edge, level and oneshot look identical from above: cached readiness,
//! clearing with ticks, re-arming, interest changes, deregistration.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use baton_protocol::{Direction, Error, Interest};

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::util::{WakeCount, park_until, socketpair, wait_ready};
use crate::{ensure, ensure_eq, ensure_matches};

pub(crate) const CASES: &[Case] = &[
    case!(
        "rearm.partial_read_stays_ready",
        "after a partial read, poll_ready(Read) is Ready again at once with no new data",
        [],
        partial_read_stays_ready
    ),
    case!(
        "rearm.new_data_after_clear_wakes",
        "drain to WouldBlock, clear, and new data wakes the reader again",
        [],
        new_data_after_clear_wakes
    ),
    case!(
        "rearm.no_wake_storm_after_clear",
        "after drain and clear with no new data, at most a few wake-ups in 100 ms",
        [NoFaults],
        no_wake_storm_after_clear
    ),
    case!(
        "rearm.clear_with_data_left_no_hang",
        "clearing while data is still buffered re-arms: the reader is woken, not stranded",
        [],
        clear_with_data_left_no_hang
    ),
    case!(
        "rearm.spurious_wake_tolerated",
        "after a spurious wake-up the waiter is still registered and real data wakes it",
        [],
        spurious_wake_tolerated
    ),
    case!(
        "rearm.interest_union_preserved",
        "adding a Write waiter keeps Read armed; each direction wakes only its own waiter",
        [NoFaults],
        interest_union_preserved
    ),
    case!(
        "rearm.reregister_overrides",
        "reregistering replaces the interest: after Read→Write no read readiness arrives",
        [],
        reregister_overrides
    ),
    case!(
        "rearm.deregister_suppresses_pending_event",
        "an event queued for a source deregistered before the park is never delivered",
        [NoFaults],
        deregister_suppresses_pending_event
    ),
    case!(
        "rearm.register_after_deregister",
        "the same fd registers again after deregistration and delivers events",
        [],
        register_after_deregister
    ),
    case!(
        "rearm.waiter_policy",
        "several waiters on one (source, direction) are all woken (Decision 1)",
        [],
        waiter_policy
    ),
];

const LIMIT: Duration = Duration::from_secs(5);

/// Reads until `WouldBlock`; returns the bytes read.
fn drain(mut r: impl Read) -> io::Result<usize> {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(total),
            Err(e) => return Err(e),
        }
    }
}

fn partial_read_stays_ready(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    b.write_all(&[7u8; 10])?;
    let tick = wait_ready(&*reactor, key, Direction::Read)?;
    let mut one = [0u8];
    (&a).read_exact(&mut one)?;
    let waker = WakeCount::new().waker();
    // No park, no new data: the readiness is still cached.
    match reactor.poll_ready(key, Direction::Read, &mut Context::from_waker(&waker)) {
        Poll::Ready(Ok(again)) => ensure_eq!(again, tick, "a partial read changed the tick"),
        other => {
            return Err(Failure::new(format!(
                "after a partial read poll_ready gave {other:?}"
            )));
        }
    }
    ensure_eq!(drain(&a)?, 9);
    reactor.deregister(key)?;
    Ok(())
}

fn new_data_after_clear_wakes(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    for round in 0..3 {
        b.write_all(b"data")?;
        let tick = wait_ready(&*reactor, key, Direction::Read)?;
        ensure_eq!(drain(&a)?, 4, "round {round}");
        reactor.clear_ready(key, Direction::Read, tick)?;
        let wakes = WakeCount::new();
        let waker = wakes.waker();
        let mut cx = Context::from_waker(&waker);
        if reactor.poll_ready(key, Direction::Read, &mut cx).is_ready() {
            // A re-arming backend may report the now-empty socket once more;
            // the reader sees WouldBlock and clears again.
            let tick = wait_ready(&*reactor, key, Direction::Read)?;
            ensure_eq!(drain(&a)?, 0);
            reactor.clear_ready(key, Direction::Read, tick)?;
            ensure!(
                reactor
                    .poll_ready(key, Direction::Read, &mut cx)
                    .is_pending()
            );
        }
        b.write_all(b"more")?;
        ensure!(
            park_until(&*reactor, LIMIT, || wakes.count() > 0)?,
            "round {round}: new data after clear_ready woke nobody"
        );
        // The wake-up may have been a spurious one (a fault injector's):
        // the real readiness still follows.
        wait_ready(&*reactor, key, Direction::Read)?;
        ensure_eq!(drain(&a)?, 4);
        let tick = wait_ready(&*reactor, key, Direction::Read)?;
        reactor.clear_ready(key, Direction::Read, tick)?;
    }
    reactor.deregister(key)?;
    Ok(())
}

fn no_wake_storm_after_clear(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    b.write_all(b"data")?;
    let tick = wait_ready(&*reactor, key, Direction::Read)?;
    drain(&a)?;
    reactor.clear_ready(key, Direction::Read, tick)?;
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    let mut cx = Context::from_waker(&waker);
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(100) {
        if let Poll::Ready(Ok(t)) = reactor.poll_ready(key, Direction::Read, &mut cx) {
            ensure_eq!(drain(&a)?, 0, "data appeared from nowhere");
            reactor.clear_ready(key, Direction::Read, t)?;
            continue;
        }
        reactor.park(Some(Duration::from_millis(10)), false)?;
    }
    ensure!(
        wakes.count() <= 3,
        "{} wake-ups in 100 ms with no data: a wake storm",
        wakes.count()
    );
    reactor.deregister(key)?;
    Ok(())
}

fn clear_with_data_left_no_hang(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    b.write_all(&[1u8; 10])?;
    let tick = wait_ready(&*reactor, key, Direction::Read)?;
    let mut one = [0u8];
    (&a).read_exact(&mut one)?;
    // A misuse: clear while 9 bytes are still buffered. The backend must
    // re-arm and report them, not wait for an edge that will not come.
    reactor.clear_ready(key, Direction::Read, tick)?;
    let again = wait_ready(&*reactor, key, Direction::Read);
    ensure!(again.is_ok(), "clearing with data left stranded the reader");
    ensure_eq!(drain(&a)?, 9);
    reactor.deregister(key)?;
    Ok(())
}

fn spurious_wake_tolerated(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    let mut cx = Context::from_waker(&waker);
    if let Poll::Ready(Ok(t)) = reactor.poll_ready(key, Direction::Read, &mut cx) {
        ensure_eq!(drain(&a)?, 0);
        reactor.clear_ready(key, Direction::Read, t)?;
    }
    ensure!(
        reactor
            .poll_ready(key, Direction::Read, &mut cx)
            .is_pending()
    );
    // A spurious wake-up: the task runs, finds nothing, polls again.
    waker.wake_by_ref();
    ensure_matches!((&a).read(&mut [0u8; 4]), Err(ref e) if e.kind() == io::ErrorKind::WouldBlock);
    ensure!(
        reactor
            .poll_ready(key, Direction::Read, &mut cx)
            .is_pending(),
        "ready with no data"
    );
    let before = wakes.count();
    b.write_all(b"real")?;
    ensure!(
        park_until(&*reactor, LIMIT, || wakes.count() > before)?,
        "after a spurious wake-up, real data woke nobody"
    );
    ensure_eq!(drain(&a)?, 4);
    reactor.deregister(key)?;
    Ok(())
}

fn interest_union_preserved(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::BOTH)?;
    let (r, w) = (WakeCount::new(), WakeCount::new());
    let (rw, ww) = (r.waker(), w.waker());
    ensure!(
        reactor
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&rw))
            .is_pending()
    );
    // Make writing block, then add a Write waiter.
    let tick = wait_ready(&*reactor, key, Direction::Write)?;
    crate::util::fill(&a)?;
    reactor.clear_ready(key, Direction::Write, tick)?;
    let mut wcx = Context::from_waker(&ww);
    while let Poll::Ready(Ok(t)) = reactor.poll_ready(key, Direction::Write, &mut wcx) {
        crate::util::fill(&a)?;
        reactor.clear_ready(key, Direction::Write, t)?;
    }
    let (r0, w0) = (r.count(), w.count());
    b.write_all(b"r")?;
    ensure!(
        park_until(&*reactor, LIMIT, || r.count() > r0)?,
        "Read was disarmed by the Write waiter"
    );
    ensure_eq!(w.count(), w0, "data for the reader woke the writer");
    // Drain the peer: only the writer wakes.
    let r1 = r.count();
    drain(&b)?;
    ensure!(
        park_until(&*reactor, LIMIT, || w.count() > w0)?,
        "draining the peer woke no writer"
    );
    ensure_eq!(r.count(), r1, "space for the writer woke the reader");
    reactor.deregister(key)?;
    Ok(())
}

fn reregister_overrides(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    let reader = WakeCount::new();
    let rw = reader.waker();
    ensure!(
        reactor
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&rw))
            .is_pending()
    );
    reactor.reregister(key, Interest::WRITE)?;
    // The dropped direction's waiter is told, and Read is now refused.
    ensure!(
        reader.count() > 0,
        "reregister did not wake the Read waiter it dropped"
    );
    ensure_matches!(
        reactor.poll_ready(key, Direction::Read, &mut Context::from_waker(&rw)),
        Poll::Ready(Err(Error::Io(ref e))) if e.kind() == io::ErrorKind::InvalidInput
    );
    let woken = reader.count();
    b.write_all(b"ignored")?;
    ensure!(
        wait_ready(&*reactor, key, Direction::Write).is_ok(),
        "Write never reported after reregister"
    );
    reactor.park(Some(Duration::from_millis(10)), false)?;
    ensure_eq!(
        reader.count(),
        woken,
        "a read event arrived after Read was dropped"
    );
    // And back.
    reactor.reregister(key, Interest::READ)?;
    ensure!(
        wait_ready(&*reactor, key, Direction::Read).is_ok(),
        "Read never came back after reregister"
    );
    reactor.deregister(key)?;
    Ok(())
}

fn deregister_suppresses_pending_event(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    let key = reactor.register(listener.as_raw_fd(), Interest::READ)?;
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    ensure!(
        reactor
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    // The connection is queued in the kernel (an event is pending in the OS
    // poller), then the listener is deregistered before any park.
    let _client = TcpStream::connect(listener.local_addr()?)?;
    reactor.deregister(key)?;
    let after_deregister = wakes.count();
    reactor.unpark();
    let turn = reactor.park(Some(Duration::from_millis(50)), false)?;
    ensure_eq!(
        turn.events,
        0,
        "the park delivered an event of a deregistered source: {turn:?}"
    );
    ensure!(turn.unparked, "the park lost the unpark: {turn:?}");
    ensure_eq!(
        wakes.count(),
        after_deregister,
        "a deregistered source's waiter was woken by the OS event"
    );
    Ok(())
}

fn register_after_deregister(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let first = reactor.register(a.as_raw_fd(), Interest::READ)?;
    reactor.deregister(first)?;
    let second = reactor.register(a.as_raw_fd(), Interest::READ)?;
    ensure!(first != second);
    b.write_all(b"x")?;
    ensure!(
        wait_ready(&*reactor, second, Direction::Read).is_ok(),
        "a re-registered fd delivered nothing"
    );
    ensure_matches!(
        reactor.poll_ready(
            first,
            Direction::Read,
            &mut Context::from_waker(&WakeCount::new().waker())
        ),
        Poll::Ready(Err(Error::NotRegistered))
    );
    reactor.deregister(second)?;
    Ok(())
}

fn waiter_policy(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    let waiters: Vec<Arc<WakeCount>> = (0..3).map(|_| WakeCount::new()).collect();
    for w in &waiters {
        let waker = w.waker();
        ensure!(
            reactor
                .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
                .is_pending(),
            "a second waiter was refused or got readiness with no data"
        );
    }
    b.write_all(b"x")?;
    ensure!(
        park_until(&*reactor, LIMIT, || waiters.iter().all(|w| w.count() > 0))?,
        "not every waiter was woken: {:?}",
        waiters.iter().map(|w| w.count()).collect::<Vec<_>>()
    );
    reactor.deregister(key)?;
    Ok(())
}
