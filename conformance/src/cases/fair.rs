//! G. Fairness: busy tasks cannot starve I/O, timers or each other.

use std::future::{Future, poll_fn};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use baton_protocol::io::Async;
use baton_protocol::task::yield_now;
use baton_protocol::{Error, sleep};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::util::{Stolen, eventually, pipe, socketpair};
use crate::{ensure, ensure_eq};

pub(crate) const CASES: &[Case] = &[
    case!(
        "fair.yield_loop_cannot_starve_io",
        "a task looping on yield_now does not stop a socketpair ping-pong, and can still be cancelled",
        [],
        yield_loop_cannot_starve_io
    ),
    case!(
        "fair.ping_pong_cannot_starve_third",
        "two tasks waking each other in a tight loop let a third task finish its 10 yields",
        [],
        ping_pong_cannot_starve_third
    ),
    case!(
        "fair.self_wake_runs_next_tick_and_reactor_polled",
        "while a task keeps waking itself, I/O readiness arriving meanwhile is dispatched",
        [],
        self_wake_runs_next_tick_and_reactor_polled
    ),
    case!(
        "fair.always_ready_io_budget",
        "a reader of an endlessly ready pipe still lets timers and other tasks run",
        // Virtual time never moves while a task is runnable, and this reader
        // always is: its timer can only fire on a real clock.
        [WallClock],
        always_ready_io_budget
    ),
    case!(
        "fair.timers_fire_under_load",
        "with 100 busy self-waking tasks, a 10 ms sleep ends within 500 ms",
        [WallClock],
        timers_fire_under_load
    ),
    case!(
        "fair.sleep_zero_yields_to_queued_work",
        "work queued before sleep(0) or yield_now() runs before the yielding task resumes",
        [Fifo],
        sleep_zero_yields_to_queued_work
    ),
];

/// Spawns a task that yields in a loop until `stop` is set.
fn spinner(stop: &Arc<AtomicBool>) -> Result<baton_protocol::JoinHandle<usize>, Error> {
    let stop = Arc::clone(stop);
    baton_protocol::spawn(async move {
        let mut spins = 0;
        while !stop.load(Ordering::Relaxed) {
            yield_now().await;
            spins += 1;
        }
        spins
    })
}

fn yield_loop_cannot_starve_io(ctx: &Ctx) -> Outcome {
    let (a, b) = socketpair()?;
    ctx.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let mut spin = spinner(&stop)?;
        let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
        let ping = baton_protocol::spawn(async move {
            let mut byte = [0u8];
            for i in 0..100u8 {
                a.write_all(&[i]).await?;
                a.read_exact(&mut byte).await?;
            }
            Ok::<_, io::Error>(())
        })?;
        let pong = baton_protocol::spawn(async move {
            let mut byte = [0u8];
            for _ in 0..100 {
                b.read_exact(&mut byte).await?;
                b.write_all(&byte).await?;
            }
            Ok::<_, io::Error>(())
        })?;
        ping.await??;
        pong.await??;
        // The spinner never stopped by itself; it must still be cancellable.
        spin.abort();
        let cancelled = spin.await;
        ensure!(cancelled.is_err(), "an aborted spinner finished normally");
        Ok::<_, Failure>(())
    })?
}

/// Two parties that take turns: each waits for its turn, hands it over and
/// wakes the other, in a tight loop.
#[derive(Default)]
struct Turns {
    state: Mutex<(usize, [Option<Waker>; 2])>,
    stop: AtomicBool,
    rounds: AtomicUsize,
}

impl Turns {
    fn play(self: Arc<Self>, me: usize) -> impl Future<Output = ()> {
        poll_fn(move |cx| {
            loop {
                // `stop` is read under the lock the stopper takes the wakers
                // under: read before it, a player could store its waker
                // just after the stopper took the wakers, and sleep for ever.
                let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                if self.stop.load(Ordering::Relaxed) {
                    return Poll::Ready(());
                }
                if s.0 != me {
                    s.1[me] = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                s.0 = 1 - me;
                let other = s.1[1 - me].take();
                drop(s);
                self.rounds.fetch_add(1, Ordering::Relaxed);
                if let Some(w) = other {
                    w.wake();
                }
                // Hand the turn over and wait for it to come back.
            }
        })
    }
}

fn ping_pong_cannot_starve_third(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let turns = Arc::new(Turns::default());
        let a = baton_protocol::spawn(Arc::clone(&turns).play(0))?;
        let b = baton_protocol::spawn(Arc::clone(&turns).play(1))?;
        let third = {
            let turns = Arc::clone(&turns);
            baton_protocol::spawn(async move {
                // Only a ping-pong under way can starve anything: on
                // several workers the players may start after this task.
                while turns.rounds.load(Ordering::Relaxed) == 0 {
                    yield_now().await;
                }
                for _ in 0..10 {
                    yield_now().await;
                }
            })?
        };
        third.await?;
        turns.stop.store(true, Ordering::Relaxed);
        // Wake both so they see the stop.
        let wakers: Vec<Waker> = {
            let mut s = turns.state.lock().unwrap_or_else(PoisonError::into_inner);
            s.1.iter_mut().filter_map(Option::take).collect()
        };
        wakers.into_iter().for_each(Waker::wake);
        a.await?;
        b.await?;
        Ok::<_, Failure>(())
    })?
}

fn self_wake_runs_next_tick_and_reactor_polled(ctx: &Ctx) -> Outcome {
    let (a, mut b) = socketpair()?;
    ctx.block_on(async {
        let a = Async::new(a)?;
        let got = Arc::new(AtomicBool::new(false));
        let g = Arc::clone(&got);
        let reader = baton_protocol::spawn(async move {
            let mut byte = [0u8];
            let r = (&a).read(&mut byte).await;
            g.store(true, Ordering::SeqCst);
            r
        })?;
        // A self-waking task that gives up after a bounded number of spins:
        // the readiness must be dispatched while it spins.
        let seen = Arc::clone(&got);
        let spinner = baton_protocol::spawn(async move {
            let mut spins = 0u32;
            while !seen.load(Ordering::SeqCst) && spins < 200_000 {
                yield_now().await;
                spins += 1;
            }
            spins
        })?;
        yield_now().await;
        b.write_all(b"x")?;
        let spins = spinner.await?;
        ensure!(
            got.load(Ordering::SeqCst),
            "readiness was not dispatched during {spins} self-wakes"
        );
        ensure_eq!(reader.await??, 1);
        Ok::<_, Failure>(())
    })?
}

fn always_ready_io_budget(ctx: &Ctx) -> Outcome {
    let (r, w) = pipe()?;
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = {
        let stop = Arc::clone(&stop);
        let mut w = w;
        thread::spawn(move || {
            let chunk = [7u8; 4096];
            while !stop.load(Ordering::Relaxed) {
                match w.write(&chunk) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::yield_now(),
                    Err(_) => break,
                }
            }
        })
    };
    let outcome = ctx.block_on(async {
        let mut r = Async::new(r)?;
        let reading = Arc::clone(&stop);
        let total = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&total);
        let reader = baton_protocol::spawn(async move {
            let mut buf = [0u8; 64];
            // Reads in a loop with no await other than the read itself: the
            // pipe is always ready, so only the budget makes it yield.
            while !reading.load(Ordering::Relaxed) {
                counted.fetch_add(r.read(&mut buf).await?, Ordering::Relaxed);
            }
            Ok::<_, io::Error>(())
        })?;
        // Start the clock only once the reader is busy reading.
        let busy = eventually(Duration::from_secs(10), || {
            total.load(Ordering::Relaxed) > 0
        })
        .await;
        ensure!(busy, "the reader never read anything");
        let other = baton_protocol::spawn(async {
            for _ in 0..10 {
                yield_now().await;
            }
        })?;
        sleep(Duration::from_millis(10)).await?;
        other.await?;
        stop.store(true, Ordering::Relaxed);
        reader.await??;
        Ok::<_, Failure>(())
    });
    stop.store(true, Ordering::Relaxed);
    feeder
        .join()
        .map_err(|_| Failure::new("the feeder panicked"))?;
    outcome?
}

fn timers_fire_under_load(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let busy: Vec<_> = (0..100).map(|_| spinner(&stop)).collect::<Result<_, _>>()?;
        let (mark, started) = (Stolen::mark(), Instant::now());
        sleep(Duration::from_millis(10)).await?;
        let took = started.elapsed();
        // What other processes took from the runtime's threads is the
        // machine's, not the executor's unfairness.
        let own = mark.own(took);
        stop.store(true, Ordering::Relaxed);
        for b in busy {
            b.await?;
        }
        ensure!(took >= Duration::from_millis(10), "the sleep ended early");
        ensure!(
            own < Duration::from_millis(500),
            "a 10 ms sleep took {took:?} under load ({own:?} without the machine's waits)"
        );
        Ok::<_, Failure>(())
    })?
}

fn sleep_zero_yields_to_queued_work(ctx: &Ctx) -> Outcome {
    // Inside a task, so that on every executor the yielding code and the
    // queued work share a scheduler.
    ctx.block_on(async {
        baton_protocol::spawn(async {
            for use_sleep in [true, false] {
                let ran = Arc::new(AtomicBool::new(false));
                let r = Arc::clone(&ran);
                let queued = baton_protocol::spawn(async move { r.store(true, Ordering::SeqCst) })?;
                if use_sleep {
                    sleep(Duration::ZERO).await?;
                } else {
                    yield_now().await;
                }
                ensure!(
                    ran.load(Ordering::SeqCst),
                    "work queued before {} did not run first",
                    if use_sleep { "sleep(0)" } else { "yield_now()" }
                );
                queued.await?;
            }
            Ok::<_, Failure>(())
        })?
        .await?
    })?
}
