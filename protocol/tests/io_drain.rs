//! When the I/O path knows a source is drained, and what it does then: a
//! `WouldBlock` from the OS, or a short read of a stream socket, clears the
//! readiness with `clear_drained` (no re-arm needed); an injected
//! `WouldBlock` clears with `clear_ready` (data may be left); a short
//! datagram proves nothing.

mod rt;

use std::io::Write;
use std::sync::Arc;
use std::task::Poll;

use baton_protocol::net::{UdpSocket, UnixStream};
use baton_protocol::reactor::IoFault;
use baton_protocol::{Direction, Reactor};
use baton_reactor_epoll::EpollReactor;
use futures_lite::AsyncReadExt;
use rt::fault::FaultReactor;
use rt::{Rt, poll_once};

fn counted() -> (Arc<FaultReactor>, Rt) {
    let fault = Arc::new(FaultReactor::new(Arc::new(EpollReactor::new().unwrap())));
    let rt = Rt::with_reactor(Arc::clone(&fault) as Arc<dyn Reactor>);
    (fault, rt)
}

fn pair(rt: &Rt) -> (UnixStream, std::os::unix::net::UnixStream) {
    let _enter = rt.handle().enter();
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    theirs.set_nonblocking(true).unwrap();
    (UnixStream::from_std(ours).unwrap(), theirs)
}

#[test]
fn a_short_stream_read_clears_readiness_at_once() {
    let (fault, rt) = counted();
    let (mut ours, mut theirs) = pair(&rt);
    theirs.write_all(b"abc").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(rt.block_on(ours.read(&mut buf)).unwrap(), 3);
    assert_eq!(
        fault.clears(),
        (0, 1),
        "a short read did not clear as drained"
    );
    // The next read waits without first asking the OS: no read attempt, so
    // no WouldBlock and no second clear.
    let mut next = Box::pin(async { ours.read(&mut buf).await });
    assert!(poll_once(&rt, &mut next).is_pending());
    assert_eq!(
        fault.clears(),
        (0, 1),
        "the read after a drain asked the OS again"
    );
    theirs.write_all(b"de").unwrap();
    assert_eq!(rt.block_on(next).unwrap(), 2);
}

#[test]
fn a_full_read_keeps_readiness_until_would_block() {
    let (fault, rt) = counted();
    let (mut ours, mut theirs) = pair(&rt);
    theirs.write_all(&[7u8; 16]).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(rt.block_on(ours.read(&mut buf)).unwrap(), 16);
    assert_eq!(fault.clears(), (0, 0), "a full read was taken as a drain");
    // Now empty: the next read meets the OS's WouldBlock, a drain.
    let mut next = Box::pin(async { ours.read(&mut buf).await });
    assert!(poll_once(&rt, &mut next).is_pending());
    assert_eq!(fault.clears(), (0, 1));
    drop(next);
}

#[test]
fn an_injected_would_block_clears_with_a_rearm() {
    let (fault, rt) = counted();
    let (mut ours, mut theirs) = pair(&rt);
    theirs.write_all(&[1u8; 8]).unwrap();
    fault.script(Direction::Read, [Some(IoFault::WouldBlock)]);
    let mut buf = [0u8; 8];
    assert_eq!(rt.block_on(ours.read(&mut buf)).unwrap(), 8);
    let (rearming, drained) = fault.clears();
    assert_eq!(
        rearming, 1,
        "an injected WouldBlock must re-arm: the data is still there"
    );
    assert_eq!(drained, 0);
}

#[test]
fn a_short_datagram_does_not_clear() {
    let (_, rt) = counted();
    let _enter = rt.handle().enter();
    let ours = UdpSocket::bind(([127, 0, 0, 1], 0)).unwrap();
    let theirs = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = ours.local_addr().unwrap();
    theirs.send_to(b"one", to).unwrap();
    theirs.send_to(b"two", to).unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(rt.block_on(ours.recv(&mut buf)).unwrap(), 3);
    // The second datagram was queued before the first was read: no new
    // readiness will come for it, so the first (short) read must not have
    // cleared the cached one.
    let mut second = Box::pin(ours.recv(&mut buf));
    assert!(matches!(poll_once(&rt, &mut second), Poll::Ready(Ok(3))));
}

#[test]
fn end_of_stream_is_not_a_drain() {
    let (fault, rt) = counted();
    let (mut ours, theirs) = pair(&rt);
    drop(theirs);
    let mut buf = [0u8; 8];
    assert_eq!(rt.block_on(ours.read(&mut buf)).unwrap(), 0);
    // End of stream stays readable: every later read sees it at once.
    let mut again = Box::pin(async { ours.read(&mut buf).await });
    assert!(matches!(poll_once(&rt, &mut again), Poll::Ready(Ok(0))));
    assert_eq!(fault.clears().1, 0);
}
