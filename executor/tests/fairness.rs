//! Fairness (CONFORMANCE section G): always-ready tasks cannot starve I/O,
//! timers or each other; a task that wakes itself runs after the work
//! queued before it and after a reactor poll.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use baton_protocol::Error;
use baton_protocol::io::Async;
use baton_protocol::task::yield_now;
use baton_protocol::time::sleep;
use util::{Case, Options, Signal};

matrix!(
    yield_loop_cannot_starve_io,
    ping_pong_cannot_starve_third,
    self_wake_runs_after_queued_work,
    self_wake_runs_after_reactor_poll,
    timers_fire_under_load,
    always_ready_io_cannot_starve_timers,
);

/// One worker for the runtime: starvation is only possible where tasks
/// share a thread.
fn single(case: Case) -> util::Ex {
    case.ex_with(Options {
        workers: Some(1),
        ..Options::default()
    })
}

async fn spinner(spins: Arc<AtomicUsize>) {
    loop {
        spins.fetch_add(1, Ordering::Relaxed);
        yield_now().await;
    }
}

fn yield_loop_cannot_starve_io(case: Case) {
    let ex = single(case);
    let spins = Arc::new(AtomicUsize::new(0));
    let mut spinner = ex.spawn(spinner(Arc::clone(&spins))).unwrap();
    let (a, b) = util::socketpair();
    let ping = ex
        .spawn(async move {
            let a = Async::new(a)?;
            let mut buf = [0u8; 1];
            for i in 0..200u8 {
                util::write_all(&a, &[i]).await?;
                util::read_exact(&a, &mut buf).await?;
                assert_eq!(buf[0], i);
            }
            Ok::<_, std::io::Error>(())
        })
        .unwrap();
    let pong = ex
        .spawn(async move {
            let b = Async::new(b)?;
            let mut buf = [0u8; 1];
            for _ in 0..200 {
                util::read_exact(&b, &mut buf).await?;
                util::write_all(&b, &buf).await?;
            }
            Ok::<_, std::io::Error>(())
        })
        .unwrap();
    ex.block_on(async {
        ping.await.unwrap().unwrap();
        pong.await.unwrap().unwrap();
    })
    .unwrap();
    assert!(spins.load(Ordering::Relaxed) > 0);
    // And the spinner can still be cancelled.
    spinner.abort();
    let result = ex.block_on(&mut spinner).unwrap();
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
}

fn ping_pong_cannot_starve_third(case: Case) {
    let ex = single(case);
    let (to_a, to_b) = (Signal::default(), Signal::default());
    let bounces = Arc::new(AtomicUsize::new(0));
    let mut a = {
        let (to_a, to_b) = (to_a.clone(), to_b.clone());
        let bounces = Arc::clone(&bounces);
        ex.spawn(async move {
            loop {
                to_b.notify();
                to_a.wait().await;
                bounces.fetch_add(1, Ordering::Relaxed);
            }
        })
        .unwrap()
    };
    let mut b = ex
        .spawn(async move {
            loop {
                to_b.wait().await;
                to_a.notify();
            }
        })
        .unwrap();
    let third = ex
        .spawn(async {
            for _ in 0..10 {
                yield_now().await;
            }
        })
        .unwrap();
    ex.block_on(third).unwrap().unwrap();
    assert!(bounces.load(Ordering::Relaxed) > 0);
    a.abort();
    b.abort();
    ex.block_on(async {
        assert!(matches!((&mut a).await, Err(Error::Cancelled(None))));
        assert!(matches!((&mut b).await, Err(Error::Cancelled(None))));
    })
    .unwrap();
}

fn self_wake_runs_after_queued_work(case: Case) {
    let ex = single(case);
    let seen = ex
        .block_on(
            ex.spawn(async {
                let mut seen = Vec::new();
                for round in 0..3 {
                    let ran = Arc::new(AtomicBool::new(false));
                    let flag = Arc::clone(&ran);
                    baton_protocol::spawn(async move { flag.store(true, Ordering::SeqCst) })
                        .unwrap()
                        .detach();
                    if round == 2 {
                        sleep(Duration::ZERO).await.unwrap();
                    } else {
                        yield_now().await;
                    }
                    seen.push(ran.load(Ordering::SeqCst));
                }
                seen
            })
            .unwrap(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(seen, [true, true, true]);
}

fn self_wake_runs_after_reactor_poll(case: Case) {
    let ex = single(case);
    let (a, b) = util::socketpair();
    let dispatched = Arc::new(AtomicBool::new(false));
    let reader = {
        let dispatched = Arc::clone(&dispatched);
        ex.spawn(async move {
            let a = Async::new(a).unwrap();
            a.readable().await.unwrap();
            dispatched.store(true, Ordering::SeqCst);
        })
        .unwrap()
    };
    let writer = {
        let dispatched = Arc::clone(&dispatched);
        ex.spawn(async move {
            // Spawned after the reader, so on this one thread the reader
            // has registered its interest by now.
            let b = Async::new(b).unwrap();
            util::write_all(&b, b"x").await.unwrap();
            // The readiness this write caused is dispatched, and the reader
            // run, before this task resumes.
            yield_now().await;
            dispatched.load(Ordering::SeqCst)
        })
        .unwrap()
    };
    let ran_first = ex.block_on(writer).unwrap().unwrap();
    ex.block_on(reader).unwrap().unwrap();
    assert!(
        ran_first,
        "the self-woken task resumed before the I/O it caused was served"
    );
}

fn timers_fire_under_load(case: Case) {
    let ex = single(case);
    let spins = Arc::new(AtomicUsize::new(0));
    let mut busy: Vec<_> = (0..100)
        .map(|_| ex.spawn(spinner(Arc::clone(&spins))).unwrap())
        .collect();
    let timer = ex
        .spawn(async {
            let start = Instant::now();
            sleep(Duration::from_millis(10)).await.unwrap();
            start.elapsed()
        })
        .unwrap();
    let elapsed = ex.block_on(timer).unwrap().unwrap();
    assert!(elapsed >= Duration::from_millis(10), "early: {elapsed:?}");
    // A generous bound: starvation would be unbounded.
    assert!(elapsed < Duration::from_secs(2), "late: {elapsed:?}");
    for task in &mut busy {
        task.abort();
    }
    ex.block_on(async {
        for task in busy {
            assert!(matches!(task.await, Err(Error::Cancelled(None))));
        }
    })
    .unwrap();
}

fn always_ready_io_cannot_starve_timers(case: Case) {
    use std::io::{Read, Write};
    let ex = single(case);
    let (a, mut b) = util::socketpair();
    let stop = Arc::new(AtomicBool::new(false));
    // Keeps the socket readable for as long as the test runs.
    let feeder = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let chunk = [7u8; 512];
            while !stop.load(Ordering::Relaxed) {
                if b.write_all(&chunk).is_err() {
                    break;
                }
            }
        })
    };
    let read = Arc::new(AtomicUsize::new(0));
    let mut reader = {
        let read = Arc::clone(&read);
        ex.spawn(async move {
            let a = Async::new(a).unwrap();
            let mut buf = [0u8; 64];
            loop {
                let n = a.read_with(|s| (&*s).read(&mut buf)).await.unwrap();
                read.fetch_add(n, Ordering::Relaxed);
            }
        })
        .unwrap()
    };
    let timer = ex
        .spawn(async {
            let start = Instant::now();
            sleep(Duration::from_millis(10)).await.unwrap();
            start.elapsed()
        })
        .unwrap();
    let elapsed = ex.block_on(timer).unwrap().unwrap();
    // A generous bound: starvation would be unbounded.
    assert!(elapsed < Duration::from_secs(2), "late: {elapsed:?}");
    assert!(read.load(Ordering::Relaxed) > 0);
    reader.abort();
    let result = ex.block_on(&mut reader).unwrap();
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
    // Dropping the reader closed its end: the feeder's write fails and it
    // stops; the flag covers a write that was still in progress.
    stop.store(true, Ordering::Relaxed);
    feeder.join().unwrap();
}
