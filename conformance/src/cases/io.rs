//! A. Readiness and I/O: the reactor's readiness as leaf futures see it.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use baton_protocol::completion::{BufResult, Slice};
use baton_protocol::io::Async;
use baton_protocol::net::{TcpStream, UdpSocket, UnixStream};
use baton_protocol::{Direction, Interest};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::util::{WakeCount, fill, park_until, pipe, socketpair};
use crate::{ensure, ensure_eq, ensure_matches};

pub(crate) const CASES: &[Case] = &[
    case!(
        "io.writable_initially",
        "a fresh socketpair end is writable at once and not readable until the peer writes",
        [],
        writable_initially
    ),
    case!(
        "io.readable_after_peer_write",
        "a 1-byte peer write wakes a blocked reader, which reads that byte",
        [],
        readable_after_peer_write
    ),
    case!(
        "io.idle_source_no_wake",
        "a registered source with no activity wakes nobody across park(0) and park(20 ms)",
        [NoFaults],
        idle_source_no_wake
    ),
    case!(
        "io.read_write_waiters_independent",
        "on a full socket, data wakes only the reader task and draining wakes only the writer task",
        [],
        read_write_waiters_independent
    ),
    case!(
        "io.no_lost_wakeup_race",
        "10 000 round trips with a peer thread writing as the reader goes to sleep never lose a wake-up",
        [],
        watchdog = 60,
        no_lost_wakeup_race
    ),
    case!(
        "io.peer_close_wakes_reader_and_writer",
        "a peer close wakes a pending reader with EOF and a blocked writer with an error",
        [],
        peer_close_wakes_reader_and_writer
    ),
    case!(
        "io.accept_ready_and_drain",
        "a listener with queued connections is readable and accept-until-WouldBlock takes them all",
        [],
        accept_ready_and_drain
    ),
    case!(
        "io.connect_refused_surfaces",
        "a non-blocking connect to a closed port completes with ConnectionRefused",
        [],
        connect_refused_surfaces
    ),
    case!(
        "io.udp_after_icmp_error",
        "after sending to a closed port, the UDP socket still receives later datagrams",
        [],
        udp_after_icmp_error
    ),
    case!(
        "io.pipe_eof_and_epipe",
        "a pipe reader sees EOF when the writer drops; a writer sees an error when the reader drops",
        [],
        pipe_eof_and_epipe
    ),
    case!(
        "io.fresh_source_after_eof",
        "a source registered after another saw end of stream and left is not ready for good: clears take",
        [NoFaults],
        fresh_source_after_eof
    ),
    case!(
        "io.owned_buffer_round_trip",
        "read_owned / write_owned move messages both ways and give every buffer back (by completion where the reactor offers it, by readiness elsewhere)",
        [],
        owned_buffer_round_trip
    ),
    case!(
        "io.owned_read_dropped_in_flight",
        "a pending read_owned dropped mid-flight: its buffer is dropped exactly once (after the kernel is done, on a completion reactor) and the stream still reads what the peer sends",
        [],
        owned_read_dropped_in_flight
    ),
];

fn writable_initially(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, mut b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::BOTH)?;
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    let mut cx = Context::from_waker(&waker);
    // A backend may need one turn to learn the initial state.
    let writable = park_until(&*reactor, Duration::from_secs(5), || {
        reactor
            .poll_ready(key, Direction::Write, &mut cx)
            .is_ready()
    })?;
    ensure!(writable, "a fresh socket never became writable");
    let readable = reactor.poll_ready(key, Direction::Read, &mut cx);
    if let Poll::Ready(Ok(tick)) = readable {
        // A spurious readiness is allowed; a read must then say WouldBlock.
        let mut byte = [0u8];
        ensure_matches!((&a).read(&mut byte), Err(ref e) if e.kind() == io::ErrorKind::WouldBlock);
        reactor.clear_ready(key, Direction::Read, tick)?;
    }
    b.write_all(b"!")?;
    let became = park_until(&*reactor, Duration::from_secs(5), || {
        reactor.poll_ready(key, Direction::Read, &mut cx).is_ready()
    })?;
    ensure!(became, "never readable after the peer wrote");
    reactor.deregister(key)?;
    Ok(())
}

fn readable_after_peer_write(ctx: &Ctx) -> Outcome {
    let (a, mut b) = socketpair()?;
    ctx.block_on(async {
        let a = Async::new(a)?;
        let reader = async {
            let mut byte = [0u8];
            let n = (&a).read(&mut byte).await?;
            Ok::<_, io::Error>((n, byte[0]))
        };
        let writer = async {
            baton_protocol::task::yield_now().await;
            b.write_all(&[42])
        };
        let (read, wrote) = futures_lite::future::zip(reader, writer).await;
        wrote?;
        ensure_eq!(read?, (1, 42));
        Ok::<_, Failure>(())
    })?
}

fn idle_source_no_wake(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, _b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    ensure!(
        reactor
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    reactor.park(Some(Duration::ZERO), false)?;
    reactor.park(Some(Duration::from_millis(20)), false)?;
    ensure_eq!(wakes.count(), 0, "an idle source woke its reader");
    reactor.deregister(key)?;
    Ok(())
}

fn read_write_waiters_independent(ctx: &Ctx) -> Outcome {
    let (a, mut b) = socketpair()?;
    ctx.block_on(async {
        let a = Arc::new(Async::new(a)?);
        fill(a.get_ref())?;
        let reader = {
            let a = Arc::clone(&a);
            baton_protocol::spawn(async move {
                let mut byte = [0u8];
                (&*a).read(&mut byte).await.map(|n| (n, byte[0]))
            })?
        };
        let writer = {
            let a = Arc::clone(&a);
            baton_protocol::spawn(async move { (&*a).write(b"w").await })?
        };
        for _ in 0..20 {
            baton_protocol::task::yield_now().await;
        }
        ensure!(
            !reader.is_finished() && !writer.is_finished(),
            "a waiter finished with nothing to do"
        );
        // Data wakes the reader only.
        b.write_all(&[9])?;
        ensure_eq!(reader.await??, (1, 9));
        ensure!(
            !writer.is_finished(),
            "data for the reader finished the writer"
        );
        // Draining the peer wakes the writer.
        let mut sink = vec![0u8; 1 << 16];
        loop {
            match b.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e.into()),
            }
        }
        ensure_eq!(writer.await??, 1);
        drop(a);
        Ok::<_, Failure>(())
    })?
}

fn no_lost_wakeup_race(ctx: &Ctx) -> Outcome {
    const ROUNDS: usize = 10_000;
    let (a, b) = socketpair()?;
    // The peer thread answers each byte at once, so its write races with
    // the reader going from "nothing to read" to storing its waker.
    b.set_nonblocking(false)?;
    let peer = thread::spawn(move || -> io::Result<()> {
        let mut b = b;
        let mut byte = [0u8];
        for _ in 0..ROUNDS {
            b.read_exact(&mut byte)?;
            b.write_all(&byte)?;
        }
        Ok(())
    });
    ctx.block_on(async {
        let mut a = Async::new(a)?;
        let mut byte = [0u8];
        for i in 0..ROUNDS {
            a.write_all(&[(i % 251) as u8]).await?;
            a.read_exact(&mut byte).await?;
            ensure_eq!(byte[0], (i % 251) as u8, "round {i} read the wrong byte");
        }
        Ok::<_, Failure>(())
    })??;
    peer.join()
        .map_err(|_| Failure::new("the peer thread panicked"))??;
    Ok(())
}

fn peer_close_wakes_reader_and_writer(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        // The reader: EOF, with only READ interest in use.
        let (a, b) = socketpair()?;
        let a = Arc::new(Async::new(a)?);
        let reader = {
            let a = Arc::clone(&a);
            baton_protocol::spawn(async move {
                let mut buf = [0u8; 8];
                (&*a).read(&mut buf).await
            })?
        };
        baton_protocol::task::yield_now().await;
        drop(b);
        ensure_eq!(reader.await??, 0, "a pending reader did not see EOF");

        // The writer: blocked on a full buffer, then an error.
        let (c, d) = socketpair()?;
        let c = Arc::new(Async::new(c)?);
        fill(c.get_ref())?;
        let writer = {
            let c = Arc::clone(&c);
            baton_protocol::spawn(async move {
                let chunk = [1u8; 4096];
                loop {
                    if let Err(e) = (&*c).write(&chunk).await {
                        break Err::<(), _>(e);
                    }
                }
            })?
        };
        baton_protocol::task::yield_now().await;
        drop(d);
        let err = writer.await?;
        ensure!(
            matches!(&err, Err(e) if matches!(e.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset)),
            "a blocked writer got {err:?} when the peer closed"
        );
        Ok::<_, Failure>(())
    })?
}

fn accept_ready_and_drain(ctx: &Ctx) -> Outcome {
    let listener = StdListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    ctx.block_on(async {
        let listener = Async::new(listener)?;
        let clients: Vec<StdStream> = (0..5)
            .map(|_| StdStream::connect(addr))
            .collect::<Result<_, _>>()?;
        listener.readable().await?;
        let mut accepted = 0;
        loop {
            match listener.get_ref().accept() {
                Ok(_) => accepted += 1,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e.into()),
            }
        }
        ensure_eq!(
            accepted,
            5,
            "one wake did not drain every queued connection"
        );
        drop(clients);
        Ok::<_, Failure>(())
    })?
}

fn connect_refused_surfaces(ctx: &Ctx) -> Outcome {
    // A port that was just free: bind, learn it, close.
    let addr = {
        let probe = StdListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        probe.local_addr()?
    };
    ctx.block_on(async {
        // An Ok means someone else took the port meanwhile; nothing to
        // conclude then.
        if let Err(e) = TcpStream::connect(addr).await {
            ensure_eq!(
                e.kind(),
                io::ErrorKind::ConnectionRefused,
                "connect failed otherwise: {e}"
            );
        }
        Ok::<_, Failure>(())
    })?
}

fn udp_after_icmp_error(ctx: &Ctx) -> Outcome {
    let closed: SocketAddr = {
        let probe = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        probe.local_addr()?
    };
    ctx.block_on(async {
        let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        let peer = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        sock.send_to(b"nobody", closed).await?;
        peer.send_to(b"hello", sock.local_addr()?).await?;
        let mut buf = [0u8; 16];
        // Linux may report the ICMP error once on the next receive.
        let (n, from) = match sock.recv_from(&mut buf).await {
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                sock.recv_from(&mut buf).await?
            }
            other => other?,
        };
        ensure_eq!(&buf[..n], b"hello");
        ensure_eq!(from, peer.local_addr()?);
        Ok::<_, Failure>(())
    })?
}

fn pipe_eof_and_epipe(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let (r, w) = pipe()?;
        let r = Async::new(r)?;
        let reader = async {
            let mut buf = [0u8; 4];
            (&r).read(&mut buf).await
        };
        let closer = async {
            baton_protocol::task::yield_now().await;
            drop(w);
        };
        let (read, ()) = futures_lite::future::zip(reader, closer).await;
        ensure_eq!(read?, 0, "the pipe reader did not see EOF");

        let (r, w) = pipe()?;
        let mut w = Async::new(w)?;
        drop(r);
        let wrote = w.write(b"x").await;
        ensure!(
            matches!(&wrote, Err(e) if e.kind() == io::ErrorKind::BrokenPipe),
            "writing to a pipe with no reader gave {wrote:?}"
        );
        Ok::<_, Failure>(())
    })?
}

/// The reactor keeps an end of stream for good; a backend that reuses a
/// registration's bookkeeping must not hand that to the next file, whose
/// readers would otherwise find it ready after every `WouldBlock`.
fn fresh_source_after_eof(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    let mut cx = Context::from_waker(&waker);
    // Several rounds, so that whatever the backend recycles is recycled.
    for round in 0..4 {
        let (a, b) = socketpair()?;
        let old = reactor.register(a.as_raw_fd(), Interest::BOTH)?;
        drop(b);
        let hung_up = park_until(&*reactor, Duration::from_secs(5), || {
            Direction::ALL
                .iter()
                .all(|&dir| reactor.poll_ready(old, dir, &mut cx).is_ready())
        })?;
        ensure!(
            hung_up,
            "round {round}: a closed peer never made both directions ready"
        );
        ensure_eq!(
            (&a).read(&mut [0u8; 8])?,
            0,
            "round {round}: no end of stream"
        );
        reactor.deregister(old)?;
        drop(a);

        let (c, mut d) = socketpair()?;
        let key = reactor.register(c.as_raw_fd(), Interest::BOTH)?;
        d.write_all(b"!")?;
        let both = park_until(&*reactor, Duration::from_secs(5), || {
            Direction::ALL
                .iter()
                .all(|&dir| reactor.poll_ready(key, dir, &mut cx).is_ready())
        })?;
        ensure!(
            both,
            "round {round}: a fresh pair never became readable and writable"
        );
        let mut byte = [0u8; 8];
        ensure_eq!((&c).read(&mut byte)?, 1, "round {round}");
        ensure_matches!((&c).read(&mut byte), Err(ref e) if e.kind() == io::ErrorKind::WouldBlock);
        fill(&c)?;
        for dir in Direction::ALL {
            let Poll::Ready(Ok(tick)) = reactor.poll_ready(key, dir, &mut cx) else {
                return Err(Failure::new(format!(
                    "round {round}: {dir:?} readiness lost"
                )));
            };
            reactor.clear_ready(key, dir, tick)?;
            ensure!(
                reactor.poll_ready(key, dir, &mut cx).is_pending(),
                "round {round}: {dir:?} still ready after WouldBlock and clear_ready: \
                 the end of stream of an earlier source outlived it"
            );
        }
        reactor.deregister(key)?;
    }
    Ok(())
}

fn owned_buffer_round_trip(ctx: &Ctx) -> Outcome {
    let (a, b) = socketpair()?;
    ctx.block_on(async {
        let a = UnixStream::from_std(a)?;
        let b = UnixStream::from_std(b)?;
        for round in 0..3u8 {
            let message = vec![round; 100];
            // A write may be short (chaos injects short ones): send the
            // rest from a slice of the same buffer.
            let mut out = Slice::new(message.clone(), 0..100);
            while !out.is_empty() {
                let BufResult(sent, back) = a.write_owned(out).await;
                let sent = sent?;
                ensure!(sent > 0, "a write of a non-empty buffer wrote nothing");
                out = back.advance(sent);
            }
            let mut got = Vec::new();
            let mut buf = vec![0u8; 64];
            while got.len() < 100 {
                let BufResult(n, back) = b.read_owned(buf).await;
                let n = n?;
                ensure!(n > 0, "end of stream in the middle of a message");
                got.extend_from_slice(&back[..n]);
                buf = back;
            }
            ensure_eq!(got, message);
            // And back, from a slice of the owned buffer.
            let BufResult(echoed, _) = b.write_owned(Slice::new(buf, 0..1)).await;
            ensure_eq!(echoed?, 1);
            let BufResult(n, back) = a.read_owned([0u8; 4]).await;
            ensure_eq!((n?, back[0]), (1, round));
        }
        if let Some(completion) = baton_protocol::Handle::current()?.reactor().completion() {
            ensure_eq!(completion.in_flight(), 0, "a buffer was not given back");
        }
        Ok::<_, Failure>(())
    })?
}

/// A buffer that counts its drops.
struct Counted {
    bytes: [u8; 16],
    drops: Arc<AtomicUsize>,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsMut<[u8]> for Counted {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn owned_read_dropped_in_flight(ctx: &Ctx) -> Outcome {
    let (a, mut b) = socketpair()?;
    ctx.block_on(async {
        let a = UnixStream::from_std(a)?;
        let drops = Arc::new(AtomicUsize::new(0));
        let buf = Counted {
            bytes: [0; 16],
            drops: Arc::clone(&drops),
        };
        {
            let mut read = std::pin::pin!(a.read_owned(buf));
            let first = futures_lite::future::poll_once(read.as_mut()).await;
            ensure!(first.is_none(), "a read with nothing sent completed");
            baton_protocol::task::yield_now().await;
        }
        let completion = baton_protocol::Handle::current()?
            .reactor()
            .completion()
            .map(|c| c.in_flight());
        // The cancelled read may still take the peer's bytes: the kernel
        // decides which comes first. Either way the buffer goes once.
        b.write_all(b"late")?;
        let mut turns = 0;
        while drops.load(Ordering::SeqCst) == 0 {
            ensure!(
                turns < 100_000,
                "the dropped read's buffer was never released"
            );
            turns += 1;
            baton_protocol::task::yield_now().await;
        }
        if let Some(c) = baton_protocol::Handle::current()?.reactor().completion() {
            ensure_eq!(c.in_flight(), 0, "a cancelled operation kept its slot");
        }
        ensure!(
            completion.is_none_or(|held| held <= 1),
            "more than the one dropped read in flight: {completion:?}"
        );
        // The stream still works: write again and read it back.
        b.write_all(b"next")?;
        let mut got = Vec::new();
        while !got.ends_with(b"next") {
            let BufResult(n, back) = a.read_owned(vec![0u8; 16]).await;
            let n = n?;
            ensure!(n > 0, "end of stream before the second message");
            got.extend_from_slice(&back[..n]);
        }
        ensure!(
            got == b"next" || got == b"latenext",
            "unexpected bytes after the dropped read: {got:?}"
        );
        ensure_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "the buffer was dropped more than once"
        );
        Ok::<_, Failure>(())
    })?
}
