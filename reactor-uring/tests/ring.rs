//! What only the io_uring reactor has: a ring size, full queues, polls
//! owned by a thread that exits, and a `POLL_REMOVE` that must reach the
//! kernel before the fd is closed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Waker};
use std::thread;
use std::time::{Duration, Instant};

use baton_protocol::{Direction, Error, Interest, Reactor};
use baton_reactor_uring::UringReactor;

/// A generous hang guard: every wait below ends in microseconds.
const HANG: Duration = Duration::from_secs(10);

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    (a, b)
}

/// Parks until `key` polls readable; panics after [`HANG`].
fn park_until_readable(r: &dyn Reactor, key: baton_protocol::reactor::SourceKey) {
    let mut cx = Context::from_waker(Waker::noop());
    let start = Instant::now();
    while r.poll_ready(key, Direction::Read, &mut cx).is_pending() {
        assert!(start.elapsed() < HANG, "no readiness reported");
        r.park(Some(Duration::from_millis(100)), true).unwrap();
    }
}

#[test]
fn ring_size_is_configurable() {
    assert_eq!(UringReactor::new().unwrap().entries(), 256);
    assert_eq!(
        UringReactor::builder()
            .entries(64)
            .build()
            .unwrap()
            .entries(),
        64
    );
    // The kernel rounds up to a power of two.
    assert_eq!(
        UringReactor::builder()
            .entries(100)
            .build()
            .unwrap()
            .entries(),
        128
    );
    assert!(matches!(
        UringReactor::builder().entries(0).build(),
        Err(Error::Io(_))
    ));
}

/// 64 sources on a ring of 2 submission and 16 completion entries: the
/// registrations fill the submission queue many times over, and one turn's
/// readiness overflows the completion queue. Every source is reported.
#[test]
fn full_submission_and_completion_queues_lose_nothing() {
    let r = UringReactor::builder().entries(2).build().unwrap();
    assert_eq!(r.entries(), 2);
    let pairs: Vec<_> = (0..64).map(|_| pair()).collect();
    let keys: Vec<_> = pairs
        .iter()
        .map(|(a, _)| r.register(a.as_raw_fd(), Interest::READ).unwrap())
        .collect();
    for (_, b) in &pairs {
        (&*b).write_all(b"x").unwrap();
    }
    for &key in &keys {
        park_until_readable(&r, key);
    }
    for key in keys {
        r.deregister(key).unwrap();
    }
    assert_eq!(r.stats().registrations, 0);
}

/// The kernel cancels the polls a thread submitted when that thread exits.
/// A registration made (and so submitted) by a thread while another one is
/// parked, after which the registering thread exits, still reports
/// readiness: the cancelled poll is re-armed.
#[test]
fn poll_survives_the_exit_of_the_thread_that_submitted_it() {
    let r = Arc::new(UringReactor::new().unwrap());
    let (a, mut b) = pair();
    let fd = a.as_raw_fd();
    let registered = Arc::new(AtomicBool::new(false));
    let registrar = {
        let (r, registered) = (Arc::clone(&r), Arc::clone(&registered));
        thread::spawn(move || {
            // Give the main thread time to be parked, so the poll is
            // submitted from here; either way the test's claim holds.
            thread::sleep(Duration::from_millis(50));
            let key = r.register(fd, Interest::READ).unwrap();
            registered.store(true, Ordering::SeqCst);
            key
        })
    };
    while !registered.load(Ordering::SeqCst) {
        r.park(Some(Duration::from_millis(20)), true).unwrap();
    }
    let key = registrar.join().unwrap();
    // Let the kernel's cancellation, if any, complete.
    r.park(Some(Duration::from_millis(20)), true).unwrap();
    b.write_all(b"x").unwrap();
    park_until_readable(&*r, key);
    r.deregister(key).unwrap();
}

/// `deregister` hands its `POLL_REMOVE` to the kernel at once: the poll's
/// reference to the socket is gone when it returns, so closing the socket
/// reaches the peer with no park in between.
#[test]
fn close_after_deregister_reaches_the_peer_without_a_park() {
    let r = UringReactor::new().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    server.set_nonblocking(true).unwrap();
    let key = r.register(server.as_raw_fd(), Interest::BOTH).unwrap();
    // The poll reaches the kernel with this turn.
    r.park(Some(Duration::ZERO), true).unwrap();
    r.deregister(key).unwrap();
    drop(server);
    client.set_read_timeout(Some(HANG)).unwrap();
    let mut buf = [0; 1];
    assert_eq!(
        client.read(&mut buf).unwrap(),
        0,
        "the peer sees end of file"
    );
}
