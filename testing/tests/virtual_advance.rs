//! `VirtualTime` by hand: `advance` fires exactly the timers that are due,
//! in order, never early; manual mode never jumps; shutdown fails waiters.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use baton_executor::LocalExecutor;
use baton_protocol::time::{sleep, timeout};
use baton_protocol::{Error, Reactor};
use baton_reactor_epoll::EpollReactor;
use baton_testing::virtual_time::AdvanceError;
use baton_testing::{CountingWaker, VirtualTime, virtual_time};

/// Not a speed claim: only a guard that fails a hung run with a message.
const HANG_GUARD: Duration = Duration::from_secs(20);

fn manual() -> VirtualTime<EpollReactor> {
    virtual_time::Builder::new()
        .manual()
        .build(EpollReactor::new().expect("an epoll reactor"))
}

/// A waker that appends its id to a shared log when woken.
struct Logger {
    id: u32,
    log: Arc<Mutex<Vec<u32>>>,
}

impl Wake for Logger {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.id);
    }
}

fn logger(id: u32, log: &Arc<Mutex<Vec<u32>>>) -> Waker {
    Waker::from(Arc::new(Logger {
        id,
        log: Arc::clone(log),
    }))
}

#[test]
fn advance_never_fires_early() -> Result<(), Error> {
    let vt = manual();
    let counter = CountingWaker::new();
    let waker = counter.waker();
    let key = vt.insert_timer(vt.now() + Duration::from_millis(10), &waker)?;
    let mut cx = Context::from_waker(&waker);
    assert_eq!(
        vt.advance(Duration::from_millis(10) - Duration::from_nanos(1)),
        Ok(0)
    );
    assert_eq!(counter.count(), 0);
    assert!(vt.poll_timer(key, &mut cx).is_pending());
    assert_eq!(vt.advance(Duration::from_nanos(1)), Ok(1));
    assert_eq!(counter.count(), 1);
    assert!(matches!(vt.poll_timer(key, &mut cx), Poll::Ready(Ok(()))));
    assert!(!vt.cancel_timer(key), "already fired");
    assert_eq!(vt.stats().timers, 0);
    Ok(())
}

#[test]
fn advance_fires_in_deadline_then_insertion_order() -> Result<(), Error> {
    let vt = manual();
    let log = Arc::default();
    let now = vt.now();
    let ms = Duration::from_millis;
    let mut keys = Vec::new();
    for (id, at) in [
        (1, ms(30)),
        (2, ms(10)),
        (3, ms(20)),
        (4, ms(10)),
        (5, Duration::ZERO),
    ] {
        keys.push(vt.insert_timer(now + at, &logger(id, &log))?);
    }
    assert_eq!(vt.advance(ms(30)), Ok(5));
    assert_eq!(*log.lock().unwrap(), [5, 2, 4, 3, 1]);
    for key in keys {
        vt.cancel_timer(key);
    }
    Ok(())
}

#[test]
fn a_due_timer_fires_on_the_next_turn_not_inline() -> Result<(), Error> {
    let vt = manual();
    let counter = CountingWaker::new();
    let past = vt.now();
    let key = vt.insert_timer(past, &counter.waker())?;
    assert_eq!(counter.count(), 0, "never inline in insert");
    let turn = vt.park(None, true)?;
    assert_eq!(turn.timers_fired, 1);
    assert_eq!(counter.count(), 1);
    assert_eq!(vt.elapsed(), Duration::ZERO);
    vt.cancel_timer(key);
    Ok(())
}

#[test]
fn manual_mode_never_jumps() -> Result<(), Error> {
    let vt = manual();
    let counter = CountingWaker::new();
    let key = vt.insert_timer(vt.now() + Duration::from_secs(1), &counter.waker())?;
    let real = Instant::now();
    let turn = vt.park(Some(Duration::from_millis(20)), true)?;
    assert!(turn.is_empty());
    assert!(
        real.elapsed() >= Duration::from_millis(20),
        "the park waited in real time"
    );
    assert_eq!(vt.elapsed(), Duration::ZERO);
    assert_eq!(vt.jumps(), 0);
    assert_eq!(counter.count(), 0);
    vt.cancel_timer(key);
    Ok(())
}

#[test]
fn advance_from_another_thread_wakes_a_parked_executor() -> Result<(), Error> {
    let vt = Arc::new(manual());
    let ex = LocalExecutor::builder()
        .shared_reactor(vt.clone())
        .build()?;
    let stepper = {
        let vt = Arc::clone(&vt);
        thread::spawn(move || {
            let guard = Instant::now() + HANG_GUARD;
            // Wait for the sleep's timer, then move time past it.
            while vt.stats().timers == 0 {
                assert!(Instant::now() < guard, "the sleep never inserted its timer");
                thread::yield_now();
            }
            vt.advance(Duration::from_secs(3600))
                .expect("an hour is in range")
        })
    };
    ex.block_on(sleep(Duration::from_secs(3600)))??;
    assert_eq!(stepper.join().expect("the stepper thread"), 1);
    assert_eq!(vt.elapsed(), Duration::from_secs(3600));
    Ok(())
}

#[test]
fn an_overflowing_advance_leaves_the_clock_where_timers_still_fire() -> Result<(), Error> {
    let vt = Arc::new(VirtualTime::new(EpollReactor::new()?));
    let counter = CountingWaker::new();
    let year = vt.now() + Duration::from_secs(86_400 * 365);
    let key = vt.insert_timer(year, &counter.waker())?;
    let before = vt.now();
    match vt.advance(Duration::MAX) {
        Err(AdvanceError::Overflow { by, headroom }) => {
            assert_eq!(by, Duration::MAX);
            assert!(headroom > Duration::from_secs(86_400 * 365), "{headroom:?}");
        }
        other => panic!("expected an overflow error, got {other:?}"),
    }
    assert_eq!(vt.now(), before, "the clock moved");
    assert_eq!(counter.count(), 0, "a timer fired");
    vt.cancel_timer(key);
    // Later timers are still reachable: a short timeout around a shorter
    // sleep completes (by autojump) instead of waiting for ever.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let runner = {
        let vt = Arc::clone(&vt);
        thread::spawn(move || {
            let ex = LocalExecutor::builder().shared_reactor(vt).build()?;
            let result = ex.block_on(timeout(
                Duration::from_millis(10),
                sleep(Duration::from_millis(1)),
            ))?;
            let _ = done_tx.send(());
            result
        })
    };
    match done_rx.recv_timeout(HANG_GUARD) {
        Ok(()) => runner.join().expect("the runner thread")??,
        Err(_) => panic!("timeout(10ms, sleep(1ms)) did not complete within {HANG_GUARD:?}"),
    }
    assert_eq!(vt.elapsed(), Duration::from_millis(1));
    Ok(())
}

#[test]
fn shutdown_wakes_timers_and_fails_later_calls() -> Result<(), Error> {
    let vt = VirtualTime::new(EpollReactor::new()?);
    let counter = CountingWaker::new();
    let key = vt.insert_timer(vt.now() + Duration::from_secs(1), &counter.waker())?;
    let mut idle = Box::pin(vt.until_idle());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(idle.as_mut().poll(&mut cx).is_pending());
    vt.shutdown();
    assert_eq!(counter.count(), 1);
    assert!(matches!(
        vt.poll_timer(key, &mut cx),
        Poll::Ready(Err(Error::Shutdown))
    ));
    assert!(matches!(
        idle.as_mut().poll(&mut cx),
        Poll::Ready(Err(Error::Shutdown))
    ));
    assert!(matches!(vt.park(None, true), Err(Error::Shutdown)));
    assert!(matches!(
        vt.insert_timer(vt.now(), Waker::noop()),
        Err(Error::Shutdown)
    ));
    Ok(())
}

#[test]
fn stats_count_inner_registrations_and_virtual_timers() -> Result<(), Error> {
    let vt = manual();
    let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    let source = vt.register(
        std::os::fd::AsRawFd::as_raw_fd(&a),
        baton_protocol::Interest::READ,
    )?;
    let timer = vt.insert_timer(vt.now() + Duration::from_secs(5), Waker::noop())?;
    let stats = vt.stats();
    assert_eq!((stats.registrations, stats.timers), (1, 1));
    assert!(vt.cancel_timer(timer));
    vt.deregister(source)?;
    let stats = vt.stats();
    assert_eq!((stats.registrations, stats.timers), (0, 0));
    assert_eq!(vt.resolution(), Duration::ZERO);
    Ok(())
}
