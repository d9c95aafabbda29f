//! A `Chaos` seed reproduces the same fault sequence: the same seed and the
//! same calls give the same faults; another seed gives others.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::task::Context;
use std::time::Duration;

use baton_executor::LocalExecutor;
use baton_protocol::{Direction, Error, Interest, Reactor};
use baton_reactor_epoll::EpollReactor;
use baton_testing::chaos::{self, Fault};
use baton_testing::seed::test_seed;
use baton_testing::{Chaos, CountingWaker};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// A fixed script of reactor calls, as a leaf future and an executor would
/// make them, on a Chaos that records its faults.
fn scripted(seed: u64) -> Result<Vec<Fault>, Error> {
    let chaos = chaos::Builder::new()
        .spurious_wake(0.3)
        .delayed_ready(0.3)
        .empty_turn(0.3)
        .would_block(0.2)
        .interrupted(0.2)
        .short_io(0.2)
        .record(true)
        .build(EpollReactor::new()?, seed);
    let (a, mut b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    let key = chaos.register(a.as_raw_fd(), Interest::BOTH)?;
    let counter = CountingWaker::new();
    let waker = counter.waker();
    let mut cx = Context::from_waker(&waker);
    for round in 0..100u8 {
        if round % 3 == 0 {
            b.write_all(&[round])?;
        }
        for dir in Direction::ALL {
            if chaos.poll_ready(key, dir, &mut cx).is_ready() {
                chaos.io_fault(key, dir);
            }
        }
        chaos.park(Some(Duration::ZERO), false)?;
    }
    chaos.deregister(key)?;
    Ok(chaos.faults())
}

fn kind(fault: &Fault) -> &'static str {
    match fault {
        Fault::SpuriousWake { .. } => "spurious",
        Fault::DelayedReady { .. } => "delayed",
        Fault::EmptyTurn => "empty",
        Fault::LateTimers { .. } => "late",
        Fault::Io { fault, .. } => match fault {
            baton_protocol::reactor::IoFault::WouldBlock => "would-block",
            baton_protocol::reactor::IoFault::Interrupted => "interrupted",
            _ => "short",
        },
        _ => "other",
    }
}

#[test]
fn same_seed_same_script_same_faults() -> Result<(), Error> {
    let first = scripted(42)?;
    let second = scripted(42)?;
    assert_eq!(first, second);
    let mut kinds: Vec<&str> = first.iter().map(kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert!(kinds.len() >= 5, "several kinds of fault: {kinds:?}");
    assert_ne!(scripted(43)?, first, "another seed, other faults");
    Ok(())
}

/// A 64 KiB round trip between two tasks over a Unix socket pair, on the
/// single-thread executor: a deterministic sequence of reactor calls.
fn echo_faults(seed: u64) -> Result<Vec<Fault>, Error> {
    let chaos = Arc::new(
        chaos::Builder::new()
            .record(true)
            .build(EpollReactor::new()?, seed),
    );
    let ex = LocalExecutor::builder()
        .shared_reactor(chaos.clone())
        .build()?;
    let payload: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let echoed = ex.block_on(async {
        let (client, server) = baton_protocol::net::UnixStream::pair()?;
        let echo = baton_protocol::spawn(async move {
            let (mut reader, mut writer) = (&server, &server);
            futures_lite::io::copy(&mut reader, &mut writer).await
        })?;
        let (mut reader, mut writer) = (&client, &client);
        let send = async {
            writer.write_all(&payload).await?;
            client.shutdown(std::net::Shutdown::Write)
        };
        let mut echoed = Vec::new();
        let (sent, received) =
            futures_lite::future::zip(send, reader.read_to_end(&mut echoed)).await;
        sent?;
        received?;
        assert_eq!(echo.await??, payload.len() as u64);
        Ok::<_, Error>(echoed)
    })??;
    assert_eq!(echoed, payload);
    Ok(chaos.faults())
}

#[test]
fn same_seed_same_faults_end_to_end() -> Result<(), Error> {
    // BATON_SEED=<n> replays a given run; the guard prints it on failure.
    let seed = test_seed()?;
    let first = echo_faults(seed.get())?;
    assert!(
        !first.is_empty(),
        "the default rates inject faults into a 64 KiB echo"
    );
    assert_eq!(echo_faults(seed.get())?, first);
    Ok(())
}

#[test]
fn seed_is_kept_and_printed_on_failure() -> Result<(), Error> {
    let chaos = Chaos::new(EpollReactor::new()?, 0xBA70);
    assert_eq!(chaos.seed(), 0xBA70);
    let panic = std::thread::spawn(move || {
        let _chaos = chaos;
        panic!("a failing test that owns the chaos reactor");
    })
    .join();
    // The message itself goes to stderr (captured by the test harness); the
    // drop during the panic must not abort or panic again.
    assert!(panic.is_err());
    Ok(())
}
