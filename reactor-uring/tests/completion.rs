//! Completion mode: owned-buffer reads and writes submitted to the ring,
//! the same operations by readiness on the other modes and reactors, and a
//! buffer that outlives its dropped future until the kernel is done.

use std::future::Future;
use std::io::Write;
use std::net::{TcpListener, TcpStream as StdTcp};
use std::os::unix::net::UnixStream as StdUnix;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_protocol::completion::{BufResult, OpKind};
use baton_protocol::net::{TcpStream, UnixStream};
use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions};
use baton_protocol::{Error, Handle, Interest, Reactor, Spawn};
use baton_reactor_epoll::EpollReactor;
use baton_reactor_uring::UringReactor;

/// A generous hang guard: every wait below ends in microseconds.
const HANG: Duration = Duration::from_secs(10);

/// Runs one future; spawning is refused.
struct NoSpawn;

impl Spawn for NoSpawn {
    fn spawn_erased(
        &self,
        _future: BoxErased,
        _options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        Err(Error::Unsupported("these tests run one future"))
    }

    fn alive_tasks(&self) -> usize {
        0
    }
}

/// Polls `future` to completion, parking `reactor` between polls (woken or
/// not: a spurious poll is allowed); panics after [`HANG`].
fn block_on<F: Future>(reactor: &Arc<dyn Reactor>, future: F) -> F::Output {
    let handle = Handle::new(Arc::clone(reactor), Arc::new(NoSpawn));
    let _enter = handle.enter();
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let start = Instant::now();
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        assert!(start.elapsed() < HANG, "the future hung");
        reactor.park(Some(Duration::from_millis(50)), true).unwrap();
    }
}

fn completion() -> Arc<dyn Reactor> {
    Arc::new(UringReactor::builder().completion(true).build().unwrap())
}

/// Every reactor the owned-buffer operations must work on, by name.
fn reactors() -> Vec<(&'static str, Arc<dyn Reactor>)> {
    vec![
        ("uring-completion", completion()),
        ("uring-readiness", Arc::new(UringReactor::new().unwrap())),
        ("epoll", Arc::new(EpollReactor::new().unwrap())),
    ]
}

fn tcp_pair() -> (StdTcp, StdTcp) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let a = StdTcp::connect(listener.local_addr().unwrap()).unwrap();
    let (b, _) = listener.accept().unwrap();
    (a, b)
}

#[test]
fn completion_is_offered_only_in_completion_mode() {
    assert!(completion().completion().is_some());
    assert!(UringReactor::new().unwrap().completion().is_none());
    assert!(EpollReactor::new().unwrap().completion().is_none());
}

#[test]
fn tcp_owned_round_trip_on_every_reactor() {
    for (name, reactor) in reactors() {
        let (a, b) = tcp_pair();
        let echoed = block_on(&reactor, async move {
            let (a, b) = (TcpStream::from_std(a)?, TcpStream::from_std(b)?);
            let BufResult(sent, _) = a.write_owned(b"ping".to_vec()).await;
            assert_eq!(sent?, 4);
            let BufResult(n, buf) = b.read_owned(vec![0u8; 64]).await;
            let n = n?;
            // Echo back what came, from the same owned buffer.
            let BufResult(back, _) = b.write_owned(buf[..n].to_vec()).await;
            assert_eq!(back?, n);
            let BufResult(m, buf) = a.read_owned([0u8; 16]).await;
            Ok::<_, std::io::Error>(buf[..m?].to_vec())
        });
        assert_eq!(echoed.unwrap(), b"ping", "on {name}");
        if let Some(c) = reactor.completion() {
            assert_eq!(c.in_flight(), 0, "every buffer given back on {name}");
        }
    }
}

#[test]
fn unix_owned_end_of_stream_on_every_reactor() {
    for (name, reactor) in reactors() {
        let (a, b) = StdUnix::pair().unwrap();
        let read = block_on(&reactor, async move {
            let a = UnixStream::from_std(a)?;
            let b = UnixStream::from_std(b)?;
            let BufResult(sent, _) = b.write_owned(vec![7u8; 3]).await;
            sent?;
            drop(b);
            let BufResult(n, buf) = a.read_owned(vec![0u8; 8]).await;
            let first = buf[..n?].to_vec();
            let BufResult(end, _) = a.read_owned(vec![0u8; 8]).await;
            Ok::<_, std::io::Error>((first, end?))
        });
        assert_eq!(read.unwrap(), (vec![7, 7, 7], 0), "on {name}");
    }
}

/// A buffer that counts its drops.
struct Counted {
    bytes: Vec<u8>,
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

#[test]
fn dropped_read_keeps_its_buffer_until_the_kernel_is_done() {
    let reactor = completion();
    let (a, mut peer) = StdUnix::pair().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let handle = Handle::new(Arc::clone(&reactor), Arc::new(NoSpawn));
    let guard = handle.enter();
    let a = UnixStream::from_std(a).unwrap();
    let buf = Counted {
        bytes: vec![0; 64],
        drops: Arc::clone(&drops),
    };
    {
        let mut read = pin!(a.read_owned(buf));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(read.as_mut().poll(&mut cx).is_pending());
        // Submitted with the next park: now the kernel holds the buffer.
        reactor.park(Some(Duration::ZERO), false).unwrap();
        assert!(read.as_mut().poll(&mut cx).is_pending());
    }
    // The future is gone, the read is not: the reactor keeps the buffer.
    let completion = reactor.completion().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert_eq!(completion.in_flight(), 1);
    // The peer writes into the cancelled read's socket meanwhile.
    peer.write_all(b"late").unwrap();
    let start = Instant::now();
    while completion.in_flight() > 0 {
        assert!(start.elapsed() < HANG, "the cancelled read never completed");
        reactor.park(Some(Duration::from_millis(50)), true).unwrap();
    }
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "released after its completion"
    );
    for _ in 0..3 {
        reactor.park(Some(Duration::ZERO), false).unwrap();
    }
    drop(a);
    drop(guard);
    drop(handle);
    drop(reactor);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped exactly once");
}

#[test]
fn a_completion_is_an_event_of_the_turn_that_reaps_it() {
    let reactor = completion();
    let (a, mut peer) = StdUnix::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let key = reactor
        .register(std::os::fd::AsRawFd::as_raw_fd(&a), Interest::BOTH)
        .unwrap();
    let c = reactor.completion().unwrap();
    let op = c.submit(key, OpKind::Read, Box::new(vec![0u8; 8])).unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(c.poll_op(op, &mut cx).is_pending());
    peer.write_all(b"x").unwrap();
    let start = Instant::now();
    let mut events = 0;
    loop {
        if let Poll::Ready(done) = c.poll_op(op, &mut cx) {
            let (n, _) = done.unwrap();
            assert_eq!(n.unwrap(), 1);
            break;
        }
        assert!(start.elapsed() < HANG, "the read never completed");
        events += reactor
            .park(Some(Duration::from_millis(50)), true)
            .unwrap()
            .events;
    }
    assert!(events >= 1, "the completion counted as an event");
    // Spent: polling it again is an error, not a second buffer.
    assert!(matches!(
        c.poll_op(op, &mut cx),
        Poll::Ready(Err(Error::NotRegistered))
    ));
    reactor.deregister(key).unwrap();
}

#[test]
fn an_unknown_source_refuses_and_gives_the_buffer_back() {
    let reactor = completion();
    let drops = Arc::new(AtomicUsize::new(0));
    let buf = Counted {
        bytes: vec![1; 4],
        drops: Arc::clone(&drops),
    };
    let key = baton_protocol::reactor::SourceKey::from_raw(12345);
    let refused = reactor
        .completion()
        .unwrap()
        .submit(key, OpKind::Write, Box::new(buf))
        .unwrap_err();
    assert!(matches!(refused.error, Error::NotRegistered));
    assert_eq!(refused.buf.bytes(), &[1; 4]);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(refused);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn pipe_owned_round_trip_uses_read_and_write() {
    // Not a socket: completion mode submits READ and WRITE, not RECV/SEND.
    for (name, reactor) in reactors() {
        let (r, w) = std::io::pipe().unwrap();
        let got = block_on(&reactor, async move {
            let r = baton_protocol::io::Async::new(r)?;
            let w = baton_protocol::io::Async::new(w)?;
            let BufResult(sent, _) = w.write_owned(b"through a pipe".to_vec()).await;
            assert_eq!(sent?, 14);
            drop(w);
            let mut got = Vec::new();
            loop {
                let BufResult(n, buf) = r.read_owned(vec![0u8; 5]).await;
                match n? {
                    0 => break,
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
            Ok::<_, std::io::Error>(got)
        });
        assert_eq!(got.unwrap(), b"through a pipe", "on {name}");
    }
}
