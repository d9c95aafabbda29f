//! `TokioReactor`, the native road: sources in tokio's own reactor, under a
//! host and driven by hand, and its answers to misuse.

use std::future::poll_fn;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_host_tokio::{TokioHost, TokioReactor};
use baton_protocol::net::{TcpListener, TcpStream};
use baton_protocol::reactor::SourceKey;
use baton_protocol::{Direction, Error, Interest, Reactor};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// How long a test may wait for something that takes microseconds.
const HANG: Duration = Duration::from_secs(10);

struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count(AtomicUsize::new(0)));
    (Arc::clone(&count), Waker::from(count))
}

/// Parks `reactor` until `ready` says so, or the hang guard runs out.
fn park_until(reactor: &dyn Reactor, mut ready: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + HANG;
    while Instant::now() < end {
        if ready() {
            return true;
        }
        reactor
            .park(Some(Duration::from_millis(50)), false)
            .expect("park");
    }
    false
}

/// A reactor made with no runtime anywhere (it runs one of its own in
/// `park`), and a socket pair whose first end it watches for reading.
fn registered_pair() -> (TokioReactor, UnixStream, UnixStream, SourceKey) {
    let reactor = TokioReactor::new().expect("reactor");
    let (a, b) = UnixStream::pair().expect("socketpair");
    a.set_nonblocking(true).expect("nonblocking");
    let key = reactor
        .register(a.as_raw_fd(), Interest::READ)
        .expect("register");
    (reactor, a, b, key)
}

#[test]
fn a_reactor_driven_by_hand_turns_tokio_itself() {
    let (reactor, a, mut b, key) = registered_pair();
    let (woken, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    assert!(
        reactor
            .poll_ready(key, Direction::Read, &mut cx)
            .is_pending()
    );
    b.write_all(b"x").expect("write");
    assert!(
        park_until(&reactor, || woken.0.load(Ordering::SeqCst) > 0),
        "the waiter was never woken"
    );
    let Poll::Ready(Ok(tick)) = reactor.poll_ready(key, Direction::Read, &mut cx) else {
        panic!("woken but not ready");
    };
    // Drained, then cleared with the tick: the next poll waits again, and
    // new data wakes it again.
    let mut buf = [0; 8];
    assert_eq!((&a).read(&mut buf).expect("read"), 1);
    reactor
        .clear_drained(key, Direction::Read, tick)
        .expect("clear");
    assert!(
        reactor
            .poll_ready(key, Direction::Read, &mut cx)
            .is_pending()
    );
    b.write_all(b"y").expect("write");
    assert!(
        park_until(&reactor, || woken.0.load(Ordering::SeqCst) > 1),
        "the second event was lost"
    );
    reactor.deregister(key).expect("deregister");
    assert_eq!(reactor.stats().registrations, 0);
}

#[test]
fn a_clear_without_a_drain_reports_the_data_left() {
    let (reactor, a, mut b, key) = registered_pair();
    let (_, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    b.write_all(b"two bytes").expect("write");
    let mut tick = None;
    assert!(park_until(&reactor, || {
        match reactor.poll_ready(key, Direction::Read, &mut cx) {
            Poll::Ready(Ok(t)) => {
                tick = Some(t);
                true
            }
            _ => false,
        }
    }));
    // Read one byte and clear as if drained too early: tokio will report
    // no new event for the byte left, and the table must not forget it.
    let mut one = [0; 1];
    assert_eq!((&a).read(&mut one).expect("read"), 1);
    reactor
        .clear_ready(key, Direction::Read, tick.expect("ready"))
        .expect("clear");
    assert!(
        matches!(
            reactor.poll_ready(key, Direction::Read, &mut cx),
            Poll::Ready(Ok(_))
        ),
        "the data left after an early clear was not reported"
    );
    reactor.deregister(key).expect("deregister");
}

#[test]
fn a_reactor_made_outside_the_runtime_joins_its_host() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio");
    let reactor = Arc::new(TokioReactor::new().expect("reactor"));
    let host = TokioHost::start_on(rt.handle(), reactor).expect("host");
    // A listener bound on this thread, outside the runtime: it joins the
    // host's runtime, and an echo runs over it in the runtime's tasks.
    let listener = {
        let _entered = host.handle().enter();
        TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind")
    };
    let addr = listener.local_addr().expect("addr");
    // Under a hang guard: a listener left in a runtime of its own would
    // never see the connection.
    let echo = host.run(async move {
        let server = baton_protocol::spawn(async move {
            let (mut conn, _) = listener.accept().await?;
            let mut buf = [0; 5];
            conn.read_exact(&mut buf).await?;
            conn.write_all(&buf).await?;
            Ok::<_, std::io::Error>(())
        })?;
        let mut client = TcpStream::connect(addr).await?;
        client.write_all(b"hello").await?;
        let mut back = [0; 5];
        client.read_exact(&mut back).await?;
        server.await??;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(back)
    });
    let echoed = rt.block_on(async { tokio::time::timeout(HANG, echo).await });
    assert_eq!(&echoed.expect("no hang").expect("echo"), b"hello");
}

#[test]
fn runtime_shutdown_under_a_waiting_read_is_shutdown() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let host = TokioHost::start_on(rt.handle(), Arc::new(TokioReactor::new().expect("reactor")))
        .expect("host");
    let (a, _b) = UnixStream::pair().expect("socketpair");
    let outside = host.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let read = outside.run(async move {
            let a = baton_protocol::io::Async::new(a)?;
            let mut buf = [0; 1];
            poll_fn(|cx| {
                use futures_lite::AsyncRead;
                std::pin::Pin::new(&mut &a).poll_read(cx, &mut buf)
            })
            .await
        });
        let result = futures_lite::future::block_on(read);
        tx.send(()).expect("main thread waits");
        result
    });
    rt.block_on(host.run(baton_protocol::time::sleep(Duration::from_millis(20))))
        .expect("the host runs while block_on does");
    drop(rt);
    rx.recv_timeout(HANG)
        .expect("the waiting read ended after the shutdown");
    let result = waiter.join().expect("no panic").map_err(Error::from);
    assert!(matches!(result, Err(Error::Shutdown)), "{result:?}");
}
