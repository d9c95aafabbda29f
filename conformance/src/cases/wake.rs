//! D. Cross-thread wake-ups: `unpark`, foreign spawns and wakes, the registry
//! under concurrent use, `EINTR`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::task::Context;
use std::thread;
use std::time::{Duration, Instant};

use baton_protocol::time::sleep;
use baton_protocol::{Direction, Interest, Promise};

use crate::case::{Case, Outcome, case};
use crate::ctx::Ctx;
use crate::util::{WakeCount, os, park_until, socketpair};
use crate::{ensure, ensure_eq};

pub(crate) const CASES: &[Case] = &[
    case!(
        "wake.unpark_ends_infinite_park",
        "park(None) with nothing registered returns promptly after unpark() from another thread",
        [],
        unpark_ends_infinite_park
    ),
    case!(
        "wake.unpark_before_park_and_coalesce",
        "an unpark before park makes it return at once; several coalesce, then a 50 ms park really blocks",
        [WallClock],
        unpark_before_park_and_coalesce
    ),
    case!(
        "wake.unpark_on_loop_thread_from_timer",
        "work woken from a timer on the loop thread runs next turn, not at the next (60 s) deadline",
        [],
        unpark_on_loop_thread_from_timer
    ),
    case!(
        "wake.foreign_spawn_and_wake",
        "spawns and wakes from foreign threads run promptly on idle and loaded runtimes (in order where FIFO)",
        [],
        foreign_spawn_and_wake
    ),
    case!(
        "wake.register_from_other_thread_during_park",
        "a source registered by another thread while the reactor is parked gets its event",
        [],
        register_from_other_thread_during_park
    ),
    case!(
        "wake.eintr_is_spurious_turn",
        "a signal to the parked thread gives an Ok turn; timers still fire, never early",
        [WallClock],
        eintr_is_spurious_turn
    ),
    case!(
        "wake.registry_thread_safe",
        "4 threads registering and deregistering while a 5th parks: no error, count back at baseline",
        [],
        registry_thread_safe
    ),
    case!(
        "wake.concurrent_block_on_callers",
        "two threads in block_on on one runtime both make progress",
        [ConcurrentBlockOn],
        concurrent_block_on_callers
    ),
];

/// How long "promptly" may take before a case calls it a hang. Generous:
/// the point is "not forever", on a loaded two-core CI machine.
const PROMPT: Duration = Duration::from_secs(2);

fn unpark_ends_infinite_park(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (tx, rx) = mpsc::channel();
    let remote = Arc::clone(&reactor);
    let unparker = thread::spawn(move || {
        // Let the main thread get into park first; if it has not, the
        // unpark is simply consumed by the coming park, which is also fine.
        thread::sleep(Duration::from_millis(20));
        let at = Instant::now();
        remote.unpark();
        let _ = tx.send(at);
    });
    // Parks until a turn that is not empty: an interrupted wait (Decision 5,
    // or a fault injector's) may end a park before the unpark does.
    let mut turn = reactor.park(None, true)?;
    for _ in 0..10 {
        if !turn.is_empty() {
            break;
        }
        turn = reactor.park(None, true)?;
    }
    let returned = Instant::now();
    unparker
        .join()
        .map_err(|_| crate::Failure::new("unparker panicked"))?;
    let unparked_at = rx
        .recv()
        .map_err(|_| crate::Failure::new("no unpark time"))?;
    ensure!(
        turn.unparked,
        "the turn did not report the unpark: {turn:?}"
    );
    let lag = returned.saturating_duration_since(unparked_at);
    ensure!(lag < PROMPT, "park returned {lag:?} after unpark");
    Ok(())
}

fn unpark_before_park_and_coalesce(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    for _ in 0..3 {
        reactor.unpark();
    }
    let started = Instant::now();
    let turn = reactor.park(None, true)?;
    ensure!(turn.unparked, "an unpark before park was lost: {turn:?}");
    ensure!(
        started.elapsed() < PROMPT,
        "park after unpark took {:?}",
        started.elapsed()
    );
    // The three unparks coalesced into that one early return: the next park
    // sleeps its whole timeout, without spinning through empty turns.
    let started = Instant::now();
    let mut turns = 0;
    while started.elapsed() < Duration::from_millis(50) {
        let turn = reactor.park(Some(Duration::from_millis(50)), true)?;
        ensure!(!turn.unparked, "a coalesced unpark came back: {turn:?}");
        turns += 1;
    }
    ensure!(
        turns <= 3,
        "a 50 ms park took {turns} turns: the reactor spins instead of blocking"
    );
    Ok(())
}

fn unpark_on_loop_thread_from_timer(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    rt.block_on(async {
        let far = baton_protocol::spawn(sleep(Duration::from_secs(60)))?;
        let promise: Promise<u32> = Promise::new();
        let setter = promise.clone();
        let timer_task = baton_protocol::spawn(async move {
            sleep(Duration::from_millis(10)).await?;
            // Runs on the loop thread; the waiter must run next turn, not
            // when the 60 s timer is due.
            setter.set_result(7)
        })?;
        let waited = baton_protocol::time::timeout(Duration::from_secs(30), &promise).await;
        let mut far = far;
        far.abort();
        let _ = far.await;
        timer_task.await??;
        ensure_eq!(waited??, 7, "the woken waiter got the wrong value");
        Ok::<_, crate::Failure>(())
    })?
}

fn foreign_spawn_and_wake(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    let handle = rt.handle();
    // An idle runtime: a spawn from a plain thread runs.
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let done: Promise<()> = Promise::new_in(&handle);
    let (o, d, h) = (Arc::clone(&order), done.clone(), handle.clone());
    let spawner = thread::spawn(move || -> Result<(), baton_protocol::Error> {
        for i in 0..10 {
            let o = Arc::clone(&o);
            let d = d.clone();
            h.spawn(async move {
                let mut v = o.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                v.push(i);
                if v.len() == 10 {
                    let _ = d.set_result(());
                }
            })?
            .detach();
        }
        Ok(())
    });
    rt.block_on(async {
        // No protocol timeout as a hang guard around work of a foreign
        // thread: under virtual time it could elapse while the thread is
        // merely slow to be scheduled. The watchdog guards the hang.
        (&done).await?;
        Ok::<_, crate::Failure>(())
    })??;
    spawner
        .join()
        .map_err(|_| crate::Failure::new("spawner thread panicked"))??;
    let order = order
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    ensure_eq!(
        sorted,
        (0..10).collect::<Vec<_>>(),
        "a foreign spawn was lost or doubled"
    );
    if ctx.provides(crate::Need::Fifo) {
        ensure_eq!(
            order,
            (0..10).collect::<Vec<_>>(),
            "submissions from one foreign thread started out of order"
        );
    }

    // A loaded runtime: busy tasks spin on yield_now while a foreign thread
    // wakes a waiter through a Promise.
    let stop = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let mut busy = Vec::new();
        for _ in 0..4 {
            let stop = Arc::clone(&stop);
            busy.push(baton_protocol::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    baton_protocol::task::yield_now().await;
                }
            })?);
        }
        let promise: Promise<u8> = Promise::new();
        let remote = promise.clone();
        let waker_thread = thread::spawn(move || remote.set_result(9));
        let got = (&promise).await;
        stop.store(true, Ordering::Relaxed);
        for b in busy {
            b.await?;
        }
        waker_thread
            .join()
            .map_err(|_| crate::Failure::new("waker thread panicked"))??;
        ensure_eq!(got?, 9);
        Ok::<_, crate::Failure>(())
    })?
}

fn register_from_other_thread_during_park(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    b.write_all(b"x")?;
    let wakes = WakeCount::new();
    // Set when the registrar's first poll already finds the readiness: the
    // park delivered the event before any waiter was stored.
    let found_ready = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(Barrier::new(2));
    let (remote, w, p, f) = (
        Arc::clone(&reactor),
        Arc::clone(&wakes),
        Arc::clone(&parked),
        Arc::clone(&found_ready),
    );
    let registrar = thread::spawn(move || -> Result<_, baton_protocol::Error> {
        p.wait();
        // Give the parker time to enter the OS wait.
        thread::sleep(Duration::from_millis(20));
        let key = remote.register(std::os::fd::AsRawFd::as_raw_fd(&a), Interest::READ)?;
        let waker = w.waker();
        if remote
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
            .is_ready()
        {
            f.store(true, Ordering::SeqCst);
        }
        Ok((a, key))
    });
    parked.wait();
    let started = Instant::now();
    let delivered = park_until(&*reactor, Duration::from_secs(5), || {
        wakes.count() > 0 || found_ready.load(Ordering::SeqCst)
    })?;
    let (a, key) = registrar
        .join()
        .map_err(|_| crate::Failure::new("registrar panicked"))??;
    reactor.deregister(key)?;
    drop(a);
    ensure!(
        delivered,
        "the event of a source registered during park never arrived ({:?})",
        started.elapsed()
    );
    Ok(())
}

fn eintr_is_spurious_turn(ctx: &Ctx) -> Outcome {
    os::install_sigurg_handler()?;
    let reactor = ctx.reactor()?;
    let timer_wakes = WakeCount::new();
    let deadline = reactor.now() + Duration::from_millis(300);
    let timer = reactor.insert_timer(deadline, &timer_wakes.waker())?;
    let (tx, rx) = mpsc::channel();
    let parker_reactor = Arc::clone(&reactor);
    let seen_before = os::sigurg_seen();
    let parker = thread::spawn(move || {
        let _ = tx.send(os::current_thread());
        let mut turns = Vec::new();
        let started = Instant::now();
        // Park until the timer has fired; every turn must be Ok.
        while started.elapsed() < Duration::from_secs(10) {
            let turn = parker_reactor.park(None, true);
            let stop = turn.as_ref().map_or(true, |t| t.timers_fired > 0);
            turns.push(turn);
            if stop {
                break;
            }
        }
        (turns, parker_reactor.now())
    });
    let thread_id = rx
        .recv()
        .map_err(|_| crate::Failure::new("parker did not start"))?;
    thread::sleep(Duration::from_millis(50));
    os::signal_thread(thread_id)?;
    let (turns, fired_at) = parker
        .join()
        .map_err(|_| crate::Failure::new("parker panicked"))?;
    reactor.cancel_timer(timer);
    ensure!(
        os::sigurg_seen() > seen_before,
        "the signal was never delivered"
    );
    for turn in &turns {
        ensure!(turn.is_ok(), "a park failed after EINTR: {turn:?}");
    }
    ensure_eq!(
        timer_wakes.count(),
        1,
        "the timer did not fire exactly once"
    );
    ensure!(
        fired_at >= deadline,
        "the timer fired {:?} early",
        deadline - fired_at
    );
    Ok(())
}

fn registry_thread_safe(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let baseline = reactor.stats().registrations;
    let stop = Arc::new(AtomicBool::new(false));
    let parker = {
        let (r, stop) = (Arc::clone(&reactor), Arc::clone(&stop));
        thread::spawn(move || -> Result<usize, baton_protocol::Error> {
            let mut turns = 0;
            while !stop.load(Ordering::SeqCst) {
                r.park(Some(Duration::from_millis(5)), false)?;
                turns += 1;
            }
            Ok(turns)
        })
    };
    let ops = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (r, ops) = (Arc::clone(&reactor), Arc::clone(&ops));
            thread::spawn(move || -> Result<(), baton_protocol::Error> {
                for _ in 0..250 {
                    let (a, _b) = socketpair()?;
                    let key = r.register(std::os::fd::AsRawFd::as_raw_fd(&a), Interest::READ)?;
                    r.reregister(key, Interest::BOTH)?;
                    r.reregister(key, Interest::WRITE)?;
                    r.deregister(key)?;
                    ops.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    let mut first_error = None;
    for w in workers {
        match w.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => first_error = first_error.or(Some(e.to_string())),
            Err(_) => first_error = first_error.or(Some("a worker panicked".into())),
        }
    }
    stop.store(true, Ordering::SeqCst);
    reactor.unpark();
    let parked = parker
        .join()
        .map_err(|_| crate::Failure::new("the parker panicked"))?;
    if let Some(e) = first_error {
        return Err(crate::Failure::new(format!(
            "a registry operation failed: {e}"
        )));
    }
    ensure!(
        parked.is_ok(),
        "park failed during registry churn: {parked:?}"
    );
    ensure_eq!(ops.load(Ordering::Relaxed), 1000);
    ensure_eq!(
        reactor.stats().registrations,
        baseline,
        "registrations not back at baseline"
    );
    Ok(())
}

fn concurrent_block_on_callers(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    let shared = rt.executor().shared().ok_or_else(|| {
        crate::Failure::new("the executor provides concurrent block_on but no shared view")
    })?;
    let ping: Promise<u32> = Promise::new_in(&rt.handle());
    let pong: Promise<u32> = Promise::new_in(&rt.handle());
    let (ping2, pong2) = (ping.clone(), pong.clone());
    let other = thread::spawn(move || -> Result<(), crate::Failure> {
        let mut outcome = Err(crate::Failure::new(
            "the other block_on never ran its future",
        ));
        shared
            .block_on(Box::pin(async {
                outcome = async {
                    let v = (&ping2).await?;
                    sleep(Duration::from_millis(5)).await?;
                    pong2.set_result(v + 1)?;
                    Ok(())
                }
                .await;
            }))
            .map_err(|e| crate::Failure::new(format!("the other block_on was refused: {e}")))?;
        outcome
    });
    let mine = rt.block_on(async {
        sleep(Duration::from_millis(5)).await?;
        ping.set_result(41)?;
        (&pong).await
    })?;
    other
        .join()
        .map_err(|_| crate::Failure::new("the other block_on panicked"))??;
    ensure_eq!(mine?, 42);
    Ok(())
}
