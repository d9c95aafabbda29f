//! The recommended sync companions (async-lock, async-channel,
//! event-listener) on every reactor × executor pair: baton has no Mutex,
//! channel or Notify of its own, and these need nothing from a runtime but
//! wakers, so they work on every backend. This test keeps that true.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use baton_protocol::task::yield_now;
use baton_protocol::{Error, spawn, time};
use baton_testing::VirtualTime;
use event_listener::Event;

/// Tasks hold an async mutex across an await, on several workers.
async fn mutex_serializes_tasks() -> Result<u64, Error> {
    let counter = Arc::new(async_lock::Mutex::new(0u64));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let counter = Arc::clone(&counter);
        tasks.push(spawn(async move {
            for _ in 0..50 {
                let mut held = counter.lock().await;
                let seen = *held;
                // Another task runs here, and finds the lock taken.
                yield_now().await;
                *held = seen + 1;
            }
        })?);
    }
    for task in tasks {
        task.await?;
    }
    let total = *counter.lock().await;
    Ok(total)
}

/// A bounded channel carries every message, in order, and reports the
/// closed end.
async fn channel_carries_in_order() -> Result<Vec<u32>, Error> {
    let (tx, rx) = async_channel::bounded(1);
    let producer = spawn(async move {
        for i in 0..100 {
            tx.send(i).await.map_err(Error::custom)?;
        }
        Ok::<_, Error>(())
    })?;
    let mut got = Vec::new();
    while let Ok(i) = rx.recv().await {
        got.push(i);
    }
    producer.await??;
    Ok(got)
}

/// An `Event` wakes a task that waits for a flag (the Notify pattern).
async fn event_wakes_a_waiter() -> Result<bool, Error> {
    let event = Arc::new(Event::new());
    let flag = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (event, flag) = (Arc::clone(&event), Arc::clone(&flag));
        spawn(async move {
            loop {
                if flag.load(Ordering::SeqCst) {
                    return true;
                }
                let listener = event.listen();
                if flag.load(Ordering::SeqCst) {
                    return true;
                }
                listener.await;
            }
        })?
    };
    yield_now().await;
    flag.store(true, Ordering::SeqCst);
    event.notify(usize::MAX);
    waiter.await
}

#[test]
fn async_lock_async_channel_and_event_listener_on_every_pair() {
    baton_testing::each_pair!(|pair| {
        let total = pair.run(mutex_serializes_tasks())??;
        assert_eq!(
            total,
            8 * 50,
            "lost updates under the mutex on {}",
            pair.name()
        );
        let got = pair.run(channel_carries_in_order())??;
        assert_eq!(got, (0..100).collect::<Vec<_>>(), "on {}", pair.name());
        assert!(pair.run(event_wakes_a_waiter())??, "on {}", pair.name());
        Ok(())
    });
}

#[test]
fn companions_combine_with_protocol_timers_under_virtual_time() {
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let waited = pair.block_on(vt.clone(), async {
            let (_tx, rx) = async_channel::bounded::<()>(1);
            let start = time::now();
            // Nobody sends: the protocol's timeout ends the wait, on the
            // virtual clock, in no real time.
            let outcome = time::timeout(Duration::from_secs(60), rx.recv()).await;
            assert!(matches!(outcome, Err(Error::Elapsed)));
            time::now() - start
        })?;
        assert_eq!(waited, Duration::from_secs(60), "on {}", pair.name());
        Ok(())
    });
}
