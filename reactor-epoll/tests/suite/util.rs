//! Helpers for the contract tests: counting wakers, socket pairs, and parking
//! until something happened (with a hang guard).

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_protocol::reactor::{SourceKey, Tick};
use baton_protocol::{Direction, Error, Reactor};

/// Builds a fresh reactor: each crate passes its own.
pub(crate) type NewReactor = fn() -> Arc<dyn Reactor>;

/// The longest any single wait in these tests may take before it counts as
/// a hang.
pub(crate) const HANG: Duration = Duration::from_secs(5);

/// A waker that counts its wake-ups.
#[derive(Default)]
pub(crate) struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A counting waker and its counter.
#[derive(Clone)]
pub(crate) struct Wakes {
    count: Arc<Count>,
    waker: Waker,
}

impl Wakes {
    pub(crate) fn new() -> Wakes {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        Wakes { count, waker }
    }

    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }

    pub(crate) fn count(&self) -> usize {
        self.count.0.load(Ordering::SeqCst)
    }

    /// `poll_ready` with this waker.
    pub(crate) fn poll(
        &self,
        r: &dyn Reactor,
        key: SourceKey,
        dir: Direction,
    ) -> Poll<Result<Tick, Error>> {
        r.poll_ready(key, dir, &mut Context::from_waker(&self.waker))
    }

    /// `poll_timer` with this waker.
    pub(crate) fn poll_timer(
        &self,
        r: &dyn Reactor,
        key: baton_protocol::reactor::TimerKey,
    ) -> Poll<Result<(), Error>> {
        r.poll_timer(key, &mut Context::from_waker(&self.waker))
    }
}

/// A waker that appends its label to a shared log when woken.
pub(crate) struct Logger {
    label: usize,
    log: Arc<Mutex<Vec<usize>>>,
}

impl Wake for Logger {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.label);
    }
}

/// A waker for `label` that logs into `log`.
pub(crate) fn logger(label: usize, log: &Arc<Mutex<Vec<usize>>>) -> Waker {
    Waker::from(Arc::new(Logger {
        label,
        log: log.clone(),
    }))
}

/// A connected, non-blocking socket pair.
pub(crate) fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Writes until `WouldBlock`; returns how many bytes went in.
pub(crate) fn fill(mut s: &UnixStream) -> usize {
    let buf = [7u8; 4096];
    let mut total = 0;
    loop {
        match s.write(&buf) {
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("fill: {e}"),
        }
    }
}

/// Reads until `WouldBlock`; returns how many bytes came out.
pub(crate) fn drain(mut s: &UnixStream) -> usize {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        match s.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("drain: {e}"),
        }
    }
}

/// Parks until `done()` holds, panicking if that takes longer than [`HANG`].
/// Returns how many turns it took.
pub(crate) fn park_until(r: &dyn Reactor, mut done: impl FnMut() -> bool) -> usize {
    let start = Instant::now();
    let mut turns = 0;
    while !done() {
        assert!(start.elapsed() < HANG, "hang: still waiting after {HANG:?}");
        r.park(Some(Duration::from_millis(100)), true).unwrap();
        turns += 1;
    }
    turns
}

/// Parks (briefly) until `dir` of `key` polls ready; returns its tick.
pub(crate) fn ready(r: &dyn Reactor, key: SourceKey, dir: Direction) -> Tick {
    let w = Wakes::new();
    let start = Instant::now();
    loop {
        match w.poll(r, key, dir) {
            Poll::Ready(Ok(tick)) => return tick,
            Poll::Ready(Err(e)) => panic!("poll_ready({dir}): {e}"),
            Poll::Pending => {}
        }
        assert!(start.elapsed() < HANG, "hang: {dir} never became ready");
        r.park(Some(Duration::from_millis(100)), true).unwrap();
    }
}

/// Whether the result is `Pending`.
pub(crate) fn pending<T>(p: &Poll<T>) -> bool {
    p.is_pending()
}
