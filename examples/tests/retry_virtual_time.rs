//! `connect_with_backoff` under `VirtualTime`: a backoff schedule of hours
//! runs in milliseconds of real time, and every attempt happens at exactly
//! the virtual instant the policy says.

mod util;

use std::future::pending;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton_examples::retry::{Backoff, connect_with_backoff, retry};
use baton_protocol::Error;
use baton_protocol::net::TcpStream;
use baton_protocol::time::sleep;
use baton_testing::VirtualTime;
use util::LateServer;

/// Not a speed claim: only a guard that fails a hung run with a message.
const HANG_GUARD: Duration = Duration::from_secs(20);

/// 1 s, 2 s, 4 s, ... at most an hour apart: about four hours in all when
/// all 16 attempts fail.
fn hours_of_backoff() -> Backoff {
    Backoff::new(Duration::from_secs(1))
        .max_delay(Duration::from_secs(3600))
        .max_attempts(16)
        .attempt_timeout(Duration::from_secs(10))
}

#[test]
fn gives_up_after_exactly_the_whole_schedule() {
    let policy = hours_of_backoff();
    assert_eq!(policy.total_delay(), Duration::from_secs(4095 + 3 * 3600));
    baton_testing::each_pair!(|pair| {
        let server = LateServer::new()?;
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let real = Instant::now();
        let result = pair.block_on(vt.clone(), connect_with_backoff(server.addr(), &policy))?;
        match result {
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {}
            other => panic!("on {}: {other:?}", pair.name()),
        }
        assert_eq!(vt.elapsed(), policy.total_delay(), "on {}", pair.name());
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
fn connects_on_the_first_attempt_after_the_server_comes_up() {
    let policy = hours_of_backoff();
    // Attempt n runs at the sum of the delays before it: 0, 1, 3, 7, ...,
    // 4095, then an hour apart.
    let mut at = Duration::ZERO;
    let schedule: Vec<Duration> = (1..=policy.attempts())
        .map(|n| {
            let this = at;
            at += policy.delay_after(n);
            this
        })
        .collect();
    let up_at = Duration::from_secs(3 * 3600);
    let first_after = *schedule
        .iter()
        .find(|&&t| t >= up_at)
        .expect("a later attempt");
    assert_eq!(first_after, Duration::from_secs(4095 + 2 * 3600));
    baton_testing::each_pair!(|pair| {
        let server = LateServer::new()?;
        let addr = server.addr();
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let attempts = Mutex::new(Vec::new());
        let connected_at = pair.block_on(vt.clone(), async {
            let opener = baton_protocol::spawn(async move {
                sleep(up_at).await?;
                Ok::<_, Error>(server.open()?)
            })?;
            let stream = retry(&policy, |_| {
                attempts.lock().unwrap().push(vt.elapsed());
                TcpStream::connect(addr)
            })
            .await?;
            let listener = opener.await??;
            assert_eq!(listener.accept()?.1, stream.local_addr()?);
            Ok::<_, Error>(vt.elapsed())
        })??;
        let attempts = attempts.into_inner().unwrap();
        let expected: Vec<Duration> = schedule
            .iter()
            .copied()
            .take_while(|&t| t <= first_after)
            .collect();
        assert_eq!(attempts, expected, "on {}", pair.name());
        assert_eq!(connected_at, first_after, "on {}", pair.name());
        Ok(())
    });
}

#[test]
fn attempts_that_hang_time_out_on_schedule() {
    let policy = Backoff::new(Duration::from_secs(60))
        .factor(3)
        .max_delay(Duration::from_secs(24 * 3600))
        .max_attempts(5)
        .attempt_timeout(Duration::from_secs(600));
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let mut attempts = 0;
        let result = pair.block_on(
            vt.clone(),
            retry(&policy, |_| {
                attempts += 1;
                pending::<io::Result<()>>()
            }),
        )?;
        assert!(
            matches!(result, Err(Error::Elapsed)),
            "on {}: {result:?}",
            pair.name()
        );
        assert_eq!(attempts, 5);
        // Five timeouts of 10 min, and 1 + 3 + 9 + 27 minutes between them.
        assert_eq!(
            vt.elapsed(),
            Duration::from_secs(5 * 600 + 40 * 60),
            "on {}",
            pair.name()
        );
        Ok(())
    });
}

#[test]
fn a_permanent_error_is_returned_at_once() {
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let mut attempts = 0;
        let result = pair.block_on(
            vt.clone(),
            retry(&hours_of_backoff(), |_| {
                attempts += 1;
                std::future::ready(Err::<(), _>(io::Error::from(
                    io::ErrorKind::PermissionDenied,
                )))
            }),
        )?;
        assert!(
            matches!(&result, Err(Error::Io(e)) if e.kind() == io::ErrorKind::PermissionDenied)
        );
        assert_eq!(attempts, 1);
        assert_eq!(vt.elapsed(), Duration::ZERO, "on {}", pair.name());
        Ok(())
    });
}
