//! The I/O fault point: a decorator reactor injects `WouldBlock`,
//! `Interrupted` and short lengths, and `Async` handles each.

mod rt;

use std::io::{IoSlice, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use baton_protocol::io::Async;
use baton_protocol::net::UdpSocket;
use baton_protocol::reactor::IoFault;
use baton_protocol::{Direction, Reactor};
use baton_reactor_epoll::EpollReactor;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use rt::Rt;
use rt::fault::FaultReactor;

fn faulty() -> (Arc<FaultReactor>, Rt) {
    let fault = Arc::new(FaultReactor::new(Arc::new(EpollReactor::new().unwrap())));
    let rt = Rt::with_reactor(Arc::clone(&fault) as Arc<dyn Reactor>);
    (fault, rt)
}

fn pair(rt: &Rt) -> (Async<UnixStream>, Async<UnixStream>) {
    let _enter = rt.handle().enter();
    let (a, b) = UnixStream::pair().unwrap();
    (Async::new(a).unwrap(), Async::new(b).unwrap())
}

#[test]
fn asked_once_per_operation() {
    let (fault, rt) = faulty();
    let (mut a, b) = pair(&rt);
    b.get_ref().write_all(b"abc").unwrap();
    rt.block_on(a.readable()).unwrap();
    let mut buf = [0; 3];
    rt.block_on(a.read(&mut buf)).unwrap();
    assert_eq!(fault.asked(Direction::Read), 1);
    assert_eq!(fault.asked(Direction::Write), 0);
}

#[test]
fn injected_would_block_clears_and_waits_again() {
    let (fault, rt) = faulty();
    let (mut a, b) = pair(&rt);
    b.get_ref().write_all(b"data").unwrap();
    fault.script(Direction::Read, [Some(IoFault::WouldBlock)]);
    let polls = rt.polls();
    let mut buf = [0; 4];
    let n = rt.block_on(a.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"data");
    assert_eq!(fault.remaining(Direction::Read), 0);
    // The fault made the read wait for the reactor to report the data again.
    assert!(rt.polls() - polls >= 2);
    assert!(fault.asked(Direction::Read) >= 2);
}

#[test]
fn injected_interrupted_is_retried_at_once() {
    let (fault, rt) = faulty();
    let (mut a, b) = pair(&rt);
    b.get_ref().write_all(b"data").unwrap();
    rt.block_on(a.readable()).unwrap();
    fault.script(Direction::Read, [Some(IoFault::Interrupted)]);
    let polls = rt.polls();
    let mut buf = [0; 4];
    let n = rt.block_on(a.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"data");
    assert_eq!(rt.polls() - polls, 1, "retried within the same poll");
    assert_eq!(fault.asked(Direction::Read), 1);
}

#[test]
fn injected_short_read_and_write() {
    let (fault, rt) = faulty();
    let (mut a, mut b) = pair(&rt);
    fault.script(Direction::Write, [Some(IoFault::Short(3))]);
    let written = rt.block_on(a.write(b"0123456789")).unwrap();
    assert_eq!(written, 3);
    rt.block_on(a.write_all(b"3456789")).unwrap();

    fault.script(Direction::Read, [Some(IoFault::Short(2))]);
    let mut buf = [0; 10];
    let n = rt.block_on(b.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"01");
    let mut rest = [0; 8];
    rt.block_on(b.read_exact(&mut rest)).unwrap();
    assert_eq!(&rest, b"23456789");
}

#[test]
fn injected_short_vectored_write() {
    let (fault, rt) = faulty();
    let (mut a, mut b) = pair(&rt);
    fault.script(Direction::Write, [Some(IoFault::Short(4))]);
    let bufs = [IoSlice::new(b"abc"), IoSlice::new(b"defg")];
    let n = rt.block_on(a.write_vectored(&bufs)).unwrap();
    assert!((1..=4).contains(&n), "{n} bytes under a 4-byte limit");
    let mut got = vec![0; n];
    rt.block_on(b.read_exact(&mut got)).unwrap();
    assert_eq!(got, &b"abcdefg"[..n]);
}

#[test]
fn short_length_never_truncates_a_datagram() {
    // Short applies to the byte streams of the futures_io traits only.
    let (fault, rt) = faulty();
    let (a, b) = {
        let _enter = rt.handle().enter();
        (
            UdpSocket::bind(([127, 0, 0, 1], 0)).unwrap(),
            UdpSocket::bind(([127, 0, 0, 1], 0)).unwrap(),
        )
    };
    fault.script(Direction::Write, [Some(IoFault::Short(1))]);
    fault.script(Direction::Read, [Some(IoFault::Short(1))]);
    let to = b.local_addr().unwrap();
    assert_eq!(rt.block_on(a.send_to(b"whole", to)).unwrap(), 5);
    let mut buf = [0; 16];
    let (n, _) = rt.block_on(b.recv_from(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"whole");
}
