//! Code that follows the protocol does not notice `Chaos`: a TCP echo of
//! 256 KiB, under heavy injected faults, on every reactor × executor pair,
//! and with virtual time on either side of it.

use std::sync::Arc;
use std::time::Duration;

use baton_protocol::net::{TcpListener, TcpStream};
use baton_protocol::time::{sleep, timeout};
use baton_protocol::{Error, Reactor};
use baton_testing::seed::test_seed;
use baton_testing::{Chaos, VirtualTime, chaos};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const SIZE: usize = 256 * 1024;

/// A generous bound that turns a hang into an `Elapsed` error.
const HANG_GUARD: Duration = Duration::from_secs(30);

fn hostile() -> chaos::Builder {
    chaos::Builder::new()
        .spurious_wake(0.3)
        .delayed_ready(0.3)
        .empty_turn(0.3)
        .late_timers(0.5)
        .would_block(0.2)
        .interrupted(0.2)
        .short_io(0.3)
        .max_short(7)
}

/// Portable code: an echo server task and a client on loopback.
async fn echo_round_trip() -> Result<Vec<u8>, Error> {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    let addr = listener.local_addr()?;
    let server = baton_protocol::spawn(async move {
        let (stream, _) = listener.accept().await?;
        let (mut reader, mut writer) = (&stream, &stream);
        futures_lite::io::copy(&mut reader, &mut writer).await?;
        Ok::<_, Error>(())
    })?;
    let client = TcpStream::connect(addr).await?;
    let payload: Vec<u8> = (0..SIZE).map(|i| (i % 253) as u8).collect();
    let (mut reader, mut writer) = (&client, &client);
    let send = async {
        writer.write_all(&payload).await?;
        client.shutdown(std::net::Shutdown::Write)
    };
    let mut echoed = Vec::with_capacity(SIZE);
    let (sent, received) = futures_lite::future::zip(send, reader.read_to_end(&mut echoed)).await;
    sent?;
    received?;
    server.await??;
    Ok(echoed)
}

fn expected() -> Vec<u8> {
    (0..SIZE).map(|i| (i % 253) as u8).collect()
}

#[test]
fn echo_under_chaos_on_every_pair() {
    let seed = test_seed().expect("BATON_SEED");
    baton_testing::each_pair!(|pair| {
        let chaos = Arc::new(hostile().build(pair.reactor()?, seed.get()));
        let echoed = pair.block_on(chaos.clone(), timeout(HANG_GUARD, echo_round_trip()))???;
        assert!(echoed == expected(), "on {}: the echo differs", pair.name());
        let counts = chaos.counts();
        assert!(
            counts.short_io > 0 && counts.would_blocks > 0,
            "on {}: {counts:?}",
            pair.name()
        );
        assert_eq!(
            chaos.stats().registrations,
            0,
            "on {}: nothing leaked",
            pair.name()
        );
        Ok(())
    });
}

#[test]
fn virtual_time_over_chaos_keeps_exact_timings() {
    let seed = test_seed().expect("BATON_SEED");
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(
            hostile().build(pair.reactor()?, seed.get()),
        ));
        let (echoed, slept) = pair.block_on(vt.clone(), async {
            let echoed = echo_round_trip().await?;
            let before = vt.elapsed();
            sleep(Duration::from_secs(3600)).await?;
            Ok::<_, Error>((echoed, vt.elapsed() - before))
        })??;
        assert!(echoed == expected(), "on {}", pair.name());
        assert_eq!(slept, Duration::from_secs(3600), "on {}", pair.name());
        assert!(vt.get_ref().counts().total() > 0, "on {}", pair.name());
        Ok(())
    });
}

#[test]
fn chaos_over_virtual_time_keeps_exact_timings() {
    let seed = test_seed().expect("BATON_SEED");
    baton_testing::each_pair!(|pair| {
        let chaos = Arc::new(Chaos::new(VirtualTime::new(pair.reactor()?), seed.get()));
        let slept = pair.block_on(chaos.clone(), async {
            let now = || chaos.now();
            let before = now();
            sleep(Duration::from_secs(3600)).await?;
            Ok::<_, Error>(now() - before)
        })??;
        assert_eq!(slept, Duration::from_secs(3600), "on {}", pair.name());
        Ok(())
    });
}
