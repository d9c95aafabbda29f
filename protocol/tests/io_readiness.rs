//! `readable()` / `writable()` loops wait for a fresh readiness instead of
//! spinning, and always-ready I/O spends the cooperative budget.

mod rt;

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use baton_protocol::io::Async;
use baton_protocol::time::timeout;
use baton_protocol::{Error, coop};
use futures_lite::AsyncReadExt;
use futures_lite::future::zip;
use rt::Rt;

fn pair(rt: &Rt) -> (Async<UnixStream>, Async<UnixStream>) {
    let _enter = rt.handle().enter();
    let (a, b) = UnixStream::pair().unwrap();
    (Async::new(a).unwrap(), Async::new(b).unwrap())
}

#[test]
fn readable_after_stale_readiness_waits_instead_of_spinning() {
    let rt = Rt::new();
    let (a, b) = pair(&rt);
    b.get_ref().write_all(b"x").unwrap();
    rt.block_on(a.readable()).unwrap();
    // Someone takes the byte behind the reactor's back: the readiness the
    // reactor still holds is stale.
    let mut byte = [0; 1];
    a.get_ref().read_exact(&mut byte).unwrap();

    let polls = rt.polls();
    let result = rt.block_on(timeout(Duration::from_millis(50), a.readable()));
    assert!(
        matches!(result, Err(Error::Elapsed)),
        "readable() reused a stale readiness"
    );
    let spent = rt.polls() - polls;
    assert!(spent <= 4, "{spent} polls in 50 ms: a wake-up loop");

    // A real readiness still arrives.
    b.get_ref().write_all(b"y").unwrap();
    rt.block_on(a.readable()).unwrap();
}

#[test]
fn readable_read_would_block_loop_does_not_spin() {
    // The classic user loop: wait, try, WouldBlock, wait again.
    let rt = Rt::new();
    let (a, b) = pair(&rt);
    b.get_ref().write_all(b"x").unwrap();
    let mut byte = [0; 1];
    rt.block_on(a.readable()).unwrap();
    a.get_ref().read_exact(&mut byte).unwrap();
    let wakes = rt.wakes();
    let (got, ()) = rt.block_on(zip(
        async {
            let mut attempts = 0;
            loop {
                a.readable().await.unwrap();
                attempts += 1;
                match a.get_ref().read(&mut byte) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    result => break (result.unwrap(), attempts),
                }
            }
        },
        async {
            baton_protocol::time::sleep(Duration::from_millis(30))
                .await
                .unwrap();
            b.get_ref().write_all(b"z").unwrap();
        },
    ));
    assert_eq!(got.0, 1);
    assert!(got.1 <= 2, "{} attempts", got.1);
    let woke = rt.wakes() - wakes;
    assert!(woke <= 6, "woken {woke} times in 30 ms");
    assert_eq!(byte, *b"z");
}

#[test]
fn writable_after_stale_readiness_waits_until_the_peer_drains() {
    let rt = Rt::new();
    let (a, b) = pair(&rt);
    rt.block_on(a.writable()).unwrap();
    // Fill the socket behind the reactor's back.
    let chunk = [0u8; 4096];
    let mut filled = 0;
    loop {
        match a.get_ref().write(&chunk) {
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    let result = rt.block_on(timeout(Duration::from_millis(50), a.writable()));
    assert!(
        matches!(result, Err(Error::Elapsed)),
        "writable() on a full socket"
    );

    // Draining the peer makes it writable again.
    let (drained, ready) = rt.block_on(zip(
        async {
            let mut buf = vec![0; filled];
            (&b).read_exact(&mut buf).await.map(|()| buf.len())
        },
        a.writable(),
    ));
    assert_eq!(drained.unwrap(), filled);
    ready.unwrap();
}

#[test]
fn always_ready_reads_spend_the_budget_and_yield() {
    // fair.always_ready_io_budget, at the leaf: a task reading a source that
    // never runs dry yields after a budget's worth of operations.
    let rt = Rt::new();
    let (mut a, b) = pair(&rt);
    let total = coop::DEFAULT_BUDGET as usize * 4;
    b.get_ref().write_all(&vec![1; total]).unwrap();
    rt.block_on(a.readable()).unwrap();
    let polls = rt.polls();
    rt.block_on(async {
        let mut byte = [0; 1];
        for _ in 0..total {
            a.read_exact(&mut byte).await.unwrap();
        }
    });
    let spent = rt.polls() - polls;
    assert!(
        spent >= 4,
        "{total} reads in {spent} polls: the budget was not spent"
    );
}
