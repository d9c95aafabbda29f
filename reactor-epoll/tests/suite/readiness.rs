//! Readiness: what wakes a waiter, and what does not (CONFORMANCE.md A).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use baton_protocol::{Direction, Interest};

use super::util::{HANG, NewReactor, Wakes, drain, fill, pair, park_until, ready};

/// `io.writable_initially`: a fresh pair end is writable after the first
/// turn, and not readable until the peer writes.
pub(crate) fn writable_initially(new: NewReactor) {
    let r = new();
    let (a, _b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::BOTH).unwrap();
    let (rd, wr) = (Wakes::new(), Wakes::new());
    assert!(rd.poll(&*r, key, Direction::Read).is_pending());
    if wr.poll(&*r, key, Direction::Write).is_pending() {
        r.park(Some(Duration::ZERO), true).unwrap();
        assert_eq!(wr.count(), 1, "the writer is woken by the first turn");
    }
    assert!(matches!(
        wr.poll(&*r, key, Direction::Write),
        Poll::Ready(Ok(_))
    ));
    r.park(Some(Duration::ZERO), true).unwrap();
    assert_eq!(rd.count(), 0);
    assert!(rd.poll(&*r, key, Direction::Read).is_pending());
    r.deregister(key).unwrap();
}

/// `io.readable_after_peer_write`: one byte from the peer wakes a parked
/// reader, and the read returns it.
pub(crate) fn readable_after_peer_write(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    let w = Wakes::new();
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    b.write_all(&[42]).unwrap();
    park_until(&*r, || w.count() > 0);
    assert_eq!(w.count(), 1);
    assert!(matches!(
        w.poll(&*r, key, Direction::Read),
        Poll::Ready(Ok(_))
    ));
    let mut byte = [0u8; 1];
    assert_eq!((&a).read(&mut byte).unwrap(), 1);
    assert_eq!(byte[0], 42);
    r.deregister(key).unwrap();
}

/// `io.idle_source_no_wake`: a quiet source wakes nobody.
pub(crate) fn idle_source_no_wake(new: NewReactor) {
    let r = new();
    let (a, _b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::BOTH).unwrap();
    let w = Wakes::new();
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    r.park(Some(Duration::ZERO), true).unwrap();
    r.park(Some(Duration::from_millis(20)), true).unwrap();
    assert_eq!(w.count(), 0);
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    r.deregister(key).unwrap();
}

/// `io.read_write_waiters_independent`: on a full socket, data wakes only
/// the reader and draining the peer wakes only the writer.
pub(crate) fn read_write_waiters_independent(new: NewReactor) {
    let r = new();
    let (a, mut b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::BOTH).unwrap();
    let tick = ready(&*r, key, Direction::Write);
    assert!(fill(&a) > 0);
    r.clear_ready(key, Direction::Write, tick).unwrap();
    let (rd, wr) = (Wakes::new(), Wakes::new());
    assert!(rd.poll(&*r, key, Direction::Read).is_pending());
    assert!(wr.poll(&*r, key, Direction::Write).is_pending());

    b.write_all(&[1]).unwrap();
    park_until(&*r, || rd.count() > 0);
    r.park(Some(Duration::from_millis(10)), true).unwrap();
    assert_eq!(wr.count(), 0, "data for the reader woke the writer");

    assert!(drain(&b) > 0);
    park_until(&*r, || wr.count() > 0);
    assert_eq!(rd.count(), 1, "space for the writer woke the reader again");
    r.deregister(key).unwrap();
}

/// `io.no_lost_wakeup_race`: a peer writing while the reader goes from "not
/// ready" to "waker stored" never leaves the reader asleep.
pub(crate) fn no_lost_wakeup_race(new: NewReactor) {
    const ROUNDS: usize = 10_000;
    let r = new();
    let (a, b) = pair();
    let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
    let (go, rounds) = mpsc::channel::<()>();
    let writer = thread::spawn(move || {
        let mut b = b;
        while rounds.recv().is_ok() {
            b.write_all(&[1]).unwrap();
        }
    });
    let w = Wakes::new();
    let mut buf = [0u8; 16];
    for round in 0..ROUNDS {
        go.send(()).unwrap();
        let start = Instant::now();
        loop {
            match w.poll(&*r, key, Direction::Read) {
                Poll::Ready(Ok(tick)) => match (&a).read(&mut buf) {
                    Ok(n) => {
                        assert_eq!(n, 1);
                        break;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        r.clear_ready(key, Direction::Read, tick).unwrap();
                    }
                    Err(e) => panic!("read: {e}"),
                },
                Poll::Ready(Err(e)) => panic!("poll_ready: {e}"),
                Poll::Pending => {
                    assert!(start.elapsed() < HANG, "round {round}: lost wake-up");
                    r.park(Some(Duration::from_millis(100)), true).unwrap();
                }
            }
        }
    }
    drop(go);
    writer.join().unwrap();
    r.deregister(key).unwrap();
}

/// `io.peer_close_wakes_reader_and_writer`: the peer closing wakes a reader
/// registered for READ only (it reads end of file) and a writer blocked on a
/// full buffer (it gets `EPIPE` or `ECONNRESET`).
pub(crate) fn peer_close_wakes_reader_and_writer(new: NewReactor) {
    let r = new();

    let (reader, peer) = pair();
    let rkey = r.register(reader.as_raw_fd(), Interest::READ).unwrap();
    let rd = Wakes::new();
    assert!(rd.poll(&*r, rkey, Direction::Read).is_pending());

    let (writer, peer2) = pair();
    let wkey = r.register(writer.as_raw_fd(), Interest::WRITE).unwrap();
    let tick = ready(&*r, wkey, Direction::Write);
    fill(&writer);
    r.clear_ready(wkey, Direction::Write, tick).unwrap();
    let wr = Wakes::new();
    assert!(wr.poll(&*r, wkey, Direction::Write).is_pending());

    drop(peer);
    drop(peer2);
    park_until(&*r, || rd.count() > 0 && wr.count() > 0);
    assert!(matches!(
        rd.poll(&*r, rkey, Direction::Read),
        Poll::Ready(Ok(_))
    ));
    assert_eq!((&reader).read(&mut [0u8; 8]).unwrap(), 0, "end of file");
    assert!(matches!(
        wr.poll(&*r, wkey, Direction::Write),
        Poll::Ready(Ok(_))
    ));
    let err = (&writer).write(&[1]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        ),
        "{err}"
    );
    r.deregister(rkey).unwrap();
    r.deregister(wkey).unwrap();
}

/// `io.accept_ready_and_drain`: pending connections make a listener
/// readable, and accepting until `WouldBlock` takes them all.
pub(crate) fn accept_ready_and_drain(new: NewReactor) {
    let r = new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let key = r.register(listener.as_raw_fd(), Interest::READ).unwrap();
    let w = Wakes::new();
    assert!(w.poll(&*r, key, Direction::Read).is_pending());
    let addr = listener.local_addr().unwrap();
    let clients: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
    park_until(&*r, || w.count() > 0);
    assert!(matches!(
        w.poll(&*r, key, Direction::Read),
        Poll::Ready(Ok(_))
    ));
    let mut accepted = 0;
    loop {
        match listener.accept() {
            Ok(_) => accepted += 1,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("accept: {e}"),
        }
    }
    assert_eq!(accepted, clients.len());
    r.deregister(key).unwrap();
}
