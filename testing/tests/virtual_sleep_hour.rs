//! `sleep(1 hour)` under `VirtualTime` finishes at once, on the multi-thread
//! and the local executor, with the virtual clock exactly one hour on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_executor::{LocalExecutor, Runtime};
use baton_protocol::time::sleep;
use baton_protocol::{Error, Handle};
use baton_reactor_epoll::EpollReactor;
use baton_testing::VirtualTime;

const HOUR: Duration = Duration::from_secs(3600);

/// Not a speed claim: only a guard that fails a hung run with a message.
const HANG_GUARD: Duration = Duration::from_secs(20);

#[test]
fn multi_thread_sleep_one_hour() -> Result<(), Error> {
    let vt = Arc::new(VirtualTime::new(EpollReactor::new()?));
    let rt = Runtime::builder()
        .shared_reactor(vt.clone())
        .workers(4)
        .build()?;
    let real = Instant::now();
    let (before, after) = rt.block_on(async {
        let reactor = Arc::clone(Handle::current()?.reactor());
        let before = reactor.now();
        sleep(HOUR).await?;
        Ok::<_, Error>((before, reactor.now()))
    })??;
    assert_eq!(after - before, HOUR);
    assert_eq!(vt.elapsed(), HOUR);
    assert!(real.elapsed() < HANG_GUARD, "took {:?}", real.elapsed());
    Ok(())
}

#[test]
fn multi_thread_sleep_in_spawned_tasks() -> Result<(), Error> {
    let vt = Arc::new(VirtualTime::new(EpollReactor::new()?));
    let rt = Runtime::builder()
        .shared_reactor(vt.clone())
        .workers(4)
        .build()?;
    let real = Instant::now();
    let woke_at = rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 1..=8u32 {
            let vt = Arc::clone(&vt);
            tasks.push(baton_protocol::spawn(async move {
                sleep(HOUR * i).await?;
                Ok::<_, Error>(vt.elapsed())
            })?);
        }
        let mut woke_at = Vec::new();
        for task in tasks {
            woke_at.push(task.await??);
        }
        Ok::<_, Error>(woke_at)
    })??;
    let expected: Vec<Duration> = (1..=8).map(|i| HOUR * i).collect();
    assert_eq!(woke_at, expected);
    assert_eq!(vt.elapsed(), HOUR * 8);
    assert_eq!(vt.jumps(), 8);
    assert!(real.elapsed() < HANG_GUARD, "took {:?}", real.elapsed());
    Ok(())
}

#[test]
fn local_sleep_one_hour() -> Result<(), Error> {
    let vt = Arc::new(VirtualTime::new(EpollReactor::new()?));
    let ex = LocalExecutor::builder()
        .shared_reactor(vt.clone())
        .build()?;
    let real = Instant::now();
    ex.block_on(sleep(HOUR))??;
    assert_eq!(vt.elapsed(), HOUR);
    assert_eq!(vt.jumps(), 1);
    assert!(real.elapsed() < HANG_GUARD, "took {:?}", real.elapsed());
    Ok(())
}
