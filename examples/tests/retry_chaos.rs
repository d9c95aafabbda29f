//! `connect_with_backoff` under `Chaos`: spurious wake-ups, delayed
//! readiness, empty turns, late timers and interrupted I/O change nothing —
//! the same attempts fail, the same one succeeds, never early.

mod util;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton_examples::retry::{Backoff, connect_with_backoff, retry};
use baton_protocol::Error;
use baton_protocol::net::TcpStream;
use baton_testing::seed::test_seed;
use baton_testing::{VirtualTime, chaos};
use util::LateServer;

fn hostile() -> chaos::Builder {
    chaos::Builder::new()
        .spurious_wake(0.3)
        .delayed_ready(0.3)
        .empty_turn(0.3)
        .late_timers(0.5)
        .would_block(0.3)
        .interrupted(0.3)
}

/// Real-time backoff, kept short: 2, 4, 8 ms ...
fn milliseconds() -> Backoff {
    Backoff::new(Duration::from_millis(2))
        .max_delay(Duration::from_millis(20))
        .max_attempts(6)
        .attempt_timeout(Duration::from_secs(10))
}

#[test]
fn the_third_attempt_succeeds_when_the_server_opens_after_the_second() {
    let seed = test_seed().expect("BATON_SEED");
    let policy = milliseconds();
    baton_testing::each_pair!(|pair| {
        let chaos = Arc::new(hostile().build(pair.reactor()?, seed.get()));
        let server = Mutex::new(Some(LateServer::new()?));
        let addr = server
            .lock()
            .unwrap()
            .as_ref()
            .map(LateServer::addr)
            .expect("a server");
        let listener = Mutex::new(None);
        let started = Instant::now();
        let attempts = Mutex::new(Vec::new());
        let stream = pair.block_on(
            chaos.clone(),
            retry(&policy, |n| {
                attempts.lock().unwrap().push(started.elapsed());
                if n == 3 {
                    let late = server.lock().unwrap().take().expect("opened once");
                    *listener.lock().unwrap() = Some(late.open());
                }
                TcpStream::connect(addr)
            }),
        )??;
        let attempts = attempts.into_inner().unwrap();
        assert_eq!(
            attempts.len(),
            3,
            "on {}: faults changed the outcome",
            pair.name()
        );
        // Never early: each attempt waited at least its delay.
        assert!(
            attempts[1] - attempts[0] >= policy.delay_after(1),
            "on {}: {attempts:?}",
            pair.name()
        );
        assert!(
            attempts[2] - attempts[1] >= policy.delay_after(2),
            "on {}: {attempts:?}",
            pair.name()
        );
        let listener = listener.into_inner().unwrap().expect("opened")?;
        assert_eq!(listener.accept()?.1, stream.local_addr()?);
        assert!(
            chaos.counts().total() > 0,
            "on {}: faults were injected",
            pair.name()
        );
        Ok(())
    });
}

#[test]
fn gives_up_with_the_refusal_after_every_attempt() {
    let seed = test_seed().expect("BATON_SEED");
    let policy = milliseconds();
    baton_testing::each_pair!(|pair| {
        let server = LateServer::new()?;
        let chaos = Arc::new(hostile().build(pair.reactor()?, seed.get()));
        let started = Instant::now();
        let result = pair.block_on(chaos.clone(), connect_with_backoff(server.addr(), &policy))?;
        assert!(
            matches!(&result, Err(Error::Io(e)) if e.kind() == io::ErrorKind::ConnectionRefused),
            "on {}: {result:?}",
            pair.name()
        );
        assert!(
            started.elapsed() >= policy.total_delay(),
            "on {}: early",
            pair.name()
        );
        Ok(())
    });
}

#[test]
fn virtual_time_over_chaos_keeps_the_exact_schedule() {
    let seed = test_seed().expect("BATON_SEED");
    let policy = Backoff::new(Duration::from_secs(1))
        .max_delay(Duration::from_secs(3600))
        .max_attempts(16);
    baton_testing::each_pair!(|pair| {
        let server = LateServer::new()?;
        let vt = Arc::new(VirtualTime::new(
            hostile().build(pair.reactor()?, seed.get()),
        ));
        let result = pair.block_on(vt.clone(), connect_with_backoff(server.addr(), &policy))?;
        assert!(result.is_err(), "on {}", pair.name());
        assert_eq!(vt.elapsed(), policy.total_delay(), "on {}", pair.name());
        assert!(vt.get_ref().counts().total() > 0, "on {}", pair.name());
        Ok(())
    });
}
