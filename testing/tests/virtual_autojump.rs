//! Autojump (`time.virtual_autojump`): the clock jumps straight to the next
//! deadline when the runtime is idle, by exactly the amounts asked, and
//! never while a task is runnable or I/O is in flight.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use baton_executor::Runtime;
use baton_protocol::net::UnixStream;
use baton_protocol::task::yield_now;
use baton_protocol::time::{sleep, timeout};
use baton_protocol::{Error, Reactor};
use baton_reactor_epoll::EpollReactor;
use baton_testing::{VirtualTime, virtual_time};
use futures_lite::AsyncReadExt;

/// Not a speed claim: only a guard that fails a hung run with a message.
const HANG_GUARD: Duration = Duration::from_secs(20);

#[test]
fn sleeps_move_the_clock_by_exactly_what_they_ask() {
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let real = Instant::now();
        let seen = pair.block_on(vt.clone(), async {
            let mut seen = Vec::new();
            for i in 0..10u32 {
                sleep(Duration::from_secs(10) * i).await?;
                seen.push(vt.elapsed());
            }
            Ok::<_, Error>(seen)
        })??;
        let mut total = Duration::ZERO;
        let expected: Vec<Duration> = (0..10u32)
            .map(|i| {
                total += Duration::from_secs(10) * i;
                total
            })
            .collect();
        assert_eq!(seen, expected, "on {}", pair.name());
        // sleep(0) fires on the next turn without moving the clock.
        assert_eq!(vt.jumps(), 9, "on {}", pair.name());
        assert!(
            real.elapsed() < HANG_GUARD,
            "on {}: {:?}",
            pair.name(),
            real.elapsed()
        );
        Ok(())
    });
}

#[test]
fn no_jump_while_a_task_is_runnable() {
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let seen = Arc::new(Mutex::new(Vec::new()));
        pair.block_on(vt.clone(), async {
            let yielder = {
                let (vt, seen) = (Arc::clone(&vt), Arc::clone(&seen));
                baton_protocol::spawn(async move {
                    for _ in 0..300 {
                        seen.lock().unwrap().push(vt.elapsed());
                        yield_now().await;
                    }
                })?
            };
            // Pending on a timer an hour away while the yielder keeps
            // running: the runtime is never idle until the yielder ends.
            sleep(Duration::from_secs(3600)).await?;
            yielder.await?;
            Ok::<_, Error>(())
        })??;
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 300);
        assert!(
            seen.iter().all(|d| d.is_zero()),
            "on {}: {:?}",
            pair.name(),
            seen.iter().find(|d| !d.is_zero())
        );
        assert_eq!(
            vt.elapsed(),
            Duration::from_secs(3600),
            "on {}",
            pair.name()
        );
        assert_eq!(vt.jumps(), 1, "on {}", pair.name());
        Ok(())
    });
}

#[test]
fn io_in_flight_wins_over_a_virtual_timeout() -> Result<(), Error> {
    // The peer's write arrives 20 ms (real) after the read starts, well
    // within a 2 s threshold: the clock must not jump past the 1 s virtual
    // timeout meanwhile.
    let vt = Arc::new(
        virtual_time::Builder::new()
            .autojump_threshold(Duration::from_secs(2))
            .build(EpollReactor::new()?),
    );
    let rt = Runtime::builder()
        .shared_reactor(vt.clone())
        .workers(2)
        .build()?;
    let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    let real = Instant::now();
    let read = rt.block_on(async {
        let mut ours = UnixStream::from_std(ours)?;
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            (&theirs).write_all(b"late").map(|()| theirs)
        });
        let mut buf = [0; 4];
        let read = timeout(Duration::from_secs(1), ours.read_exact(&mut buf)).await;
        let _theirs = writer.join().expect("the writer thread")?;
        Ok::<_, Error>(read.map(|r| r.map(|()| buf)))
    })??;
    assert_eq!(read?.ok(), Some(*b"late"));
    assert_eq!(vt.elapsed(), Duration::ZERO);
    assert_eq!(vt.jumps(), 0);
    assert!(real.elapsed() < HANG_GUARD);
    Ok(())
}

#[test]
fn without_io_the_same_timeout_jumps() -> Result<(), Error> {
    let vt = Arc::new(VirtualTime::new(EpollReactor::new()?));
    let rt = Runtime::builder()
        .shared_reactor(vt.clone())
        .workers(2)
        .build()?;
    let (ours, _theirs) = std::os::unix::net::UnixStream::pair()?;
    let read = rt.block_on(async {
        let mut ours = UnixStream::from_std(ours)?;
        let mut buf = [0; 4];
        Ok::<_, Error>(timeout(Duration::from_secs(1), ours.read_exact(&mut buf)).await)
    })??;
    assert!(matches!(read, Err(Error::Elapsed)), "{read:?}");
    assert_eq!(vt.elapsed(), Duration::from_secs(1));
    Ok(())
}

#[test]
fn until_idle_comes_before_the_jump() {
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        pair.block_on(vt.clone(), async {
            let mut sleepers = Vec::new();
            for i in 1..=5u32 {
                sleepers.push(baton_protocol::spawn(sleep(Duration::from_secs(60) * i))?);
            }
            vt.until_idle().await?;
            // Every sleeper waits on its timer; the clock has not moved.
            assert_eq!(vt.elapsed(), Duration::ZERO, "on {}", pair.name());
            assert_eq!(vt.stats().timers, 5, "on {}", pair.name());
            for sleeper in sleepers {
                sleeper.await??;
            }
            assert_eq!(vt.elapsed(), Duration::from_secs(300), "on {}", pair.name());
            Ok::<_, Error>(())
        })?
    });
}
