//! Shared helpers: one executor type over both executors, the matrix macro
//! that instantiates a test body per executor × reactor, and counting
//! helpers.

#![allow(dead_code, reason = "each test file uses a subset of the helpers")]

use std::future::{Future, IntoFuture};
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use baton_executor::{Dump, JoinHandle, LocalExecutor, Metrics, MetricsReader, Runtime};
use baton_protocol::io::Async;
use baton_protocol::{Error, Handle, Reactor};

/// Which executor a case runs on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Flavor {
    Local,
    Runtime,
}

/// Settings a case may change; `None` keeps the executor's default.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Options {
    pub(crate) workers: Option<usize>,
    pub(crate) lost_waker_check: Option<bool>,
    pub(crate) poll_timing: Option<bool>,
    pub(crate) event_interval: Option<u32>,
    pub(crate) shuffle: Option<u64>,
    pub(crate) metrics_histograms: Option<bool>,
    pub(crate) slow_poll_threshold: Option<Duration>,
    pub(crate) max_blocking_threads: Option<usize>,
}

/// One cell of the matrix: an executor flavor on a reactor.
#[derive(Clone, Copy)]
pub(crate) struct Case {
    pub(crate) flavor: Flavor,
    pub(crate) reactor: fn() -> Arc<dyn Reactor>,
}

pub(crate) fn epoll() -> Arc<dyn Reactor> {
    Arc::new(baton_reactor_epoll::EpollReactor::new().expect("epoll reactor"))
}

pub(crate) fn poll() -> Arc<dyn Reactor> {
    Arc::new(baton_reactor_poll::PollReactor::new().expect("poll reactor"))
}

impl Case {
    /// The executor with its default settings (two workers for the runtime,
    /// so that cross-worker paths are exercised on any machine).
    pub(crate) fn ex(&self) -> Ex {
        self.ex_with(Options::default())
    }

    pub(crate) fn ex_with(&self, options: Options) -> Ex {
        let reactor = (self.reactor)();
        match self.flavor {
            Flavor::Local => {
                let mut b = LocalExecutor::builder().shared_reactor(reactor);
                if let Some(on) = options.lost_waker_check {
                    b = b.lost_waker_check(on);
                }
                if let Some(on) = options.poll_timing {
                    b = b.poll_timing(on);
                }
                if let Some(m) = options.event_interval {
                    b = b.event_interval(m);
                }
                if let Some(seed) = options.shuffle {
                    b = b.shuffle(seed);
                }
                if let Some(on) = options.metrics_histograms {
                    b = b.metrics_histograms(on);
                }
                if let Some(threshold) = options.slow_poll_threshold {
                    b = b.slow_poll_threshold(threshold);
                }
                if let Some(n) = options.max_blocking_threads {
                    b = b.max_blocking_threads(n);
                }
                Ex::Local(b.build().expect("local executor"))
            }
            Flavor::Runtime => {
                let mut b = Runtime::builder()
                    .shared_reactor(reactor)
                    .workers(options.workers.unwrap_or(2));
                if let Some(on) = options.lost_waker_check {
                    b = b.lost_waker_check(on);
                }
                if let Some(on) = options.poll_timing {
                    b = b.poll_timing(on);
                }
                if let Some(m) = options.event_interval {
                    b = b.event_interval(m);
                }
                if let Some(seed) = options.shuffle {
                    b = b.shuffle(seed);
                }
                if let Some(on) = options.metrics_histograms {
                    b = b.metrics_histograms(on);
                }
                if let Some(threshold) = options.slow_poll_threshold {
                    b = b.slow_poll_threshold(threshold);
                }
                if let Some(n) = options.max_blocking_threads {
                    b = b.max_blocking_threads(n);
                }
                Ex::Runtime(b.build().expect("runtime"))
            }
        }
    }
}

/// How long a test body may run before it counts as hung.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Runs `body` on its own thread and fails the test if it does not finish
/// within [`HANG_GUARD`]: a regression that hangs fails with a message
/// instead of stalling the run. A panic in the body fails the test as is.
pub(crate) fn guarded(body: fn(Case), case: Case) {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let runner = std::thread::Builder::new()
        .name("test-body".to_owned())
        .spawn(move || {
            body(case);
            let _ = done_tx.send(());
        })
        .expect("test thread");
    match done_rx.recv_timeout(HANG_GUARD) {
        Ok(()) => runner.join().expect("test body"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: report its panic.
            if let Err(payload) = runner.join() {
                std::panic::resume_unwind(payload);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the test body did not finish within {HANG_GUARD:?}")
        }
    }
}

/// Instantiates each named test body (a `fn(Case)`) on both executors and
/// both reactors, each under [`guarded`].
#[macro_export]
macro_rules! matrix {
    ($($body:ident),* $(,)?) => {
        $(
            mod $body {
                use super::util::{Case, Flavor};

                #[test]
                fn local_epoll() {
                    super::util::guarded(super::$body, Case { flavor: Flavor::Local, reactor: super::util::epoll });
                }

                #[test]
                fn local_poll() {
                    super::util::guarded(super::$body, Case { flavor: Flavor::Local, reactor: super::util::poll });
                }

                #[test]
                fn runtime_epoll() {
                    super::util::guarded(super::$body, Case { flavor: Flavor::Runtime, reactor: super::util::epoll });
                }

                #[test]
                fn runtime_poll() {
                    super::util::guarded(super::$body, Case { flavor: Flavor::Runtime, reactor: super::util::poll });
                }
            }
        )*
    };
}

/// Instantiates each named test body (a `fn(Case)`) on one executor
/// flavor and both reactors: for behaviour only that executor has.
#[macro_export]
macro_rules! flavor_matrix {
    ($flavor:ident: $($body:ident),* $(,)?) => {
        $(
            mod $body {
                use super::util::{Case, Flavor};

                #[test]
                fn epoll() {
                    super::util::guarded(super::$body, Case { flavor: Flavor::$flavor, reactor: super::util::epoll });
                }

                #[test]
                fn poll() {
                    super::util::guarded(super::$body, Case { flavor: Flavor::$flavor, reactor: super::util::poll });
                }
            }
        )*
    };
}

/// Either executor, behind one set of methods.
pub(crate) enum Ex {
    Local(LocalExecutor),
    Runtime(Runtime),
}

impl Ex {
    pub(crate) fn block_on<F: IntoFuture>(&self, future: F) -> Result<F::Output, Error> {
        match self {
            Ex::Local(ex) => ex.block_on(future),
            Ex::Runtime(rt) => rt.block_on(future),
        }
    }

    #[track_caller]
    pub(crate) fn spawn<F>(&self, future: F) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Ex::Local(ex) => ex.spawn(future),
            Ex::Runtime(rt) => rt.spawn(future),
        }
    }

    pub(crate) fn spawn_with<F>(
        &self,
        options: baton_protocol::task::SpawnOptions,
        future: F,
    ) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Ex::Local(ex) => ex.spawn_local_with(options, future),
            Ex::Runtime(rt) => rt.spawn_with(options, future),
        }
    }

    pub(crate) fn spawn_blocking<F, R>(&self, f: F) -> Result<JoinHandle<R>, Error>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match self {
            Ex::Local(ex) => ex.spawn_blocking(f),
            Ex::Runtime(rt) => rt.spawn_blocking(f),
        }
    }

    pub(crate) fn handle(&self) -> &Handle {
        match self {
            Ex::Local(ex) => ex.handle(),
            Ex::Runtime(rt) => rt.handle(),
        }
    }

    pub(crate) fn metrics(&self) -> Metrics {
        match self {
            Ex::Local(ex) => ex.metrics(),
            Ex::Runtime(rt) => rt.metrics(),
        }
    }

    pub(crate) fn metrics_reader(&self) -> MetricsReader {
        match self {
            Ex::Local(ex) => ex.metrics_reader(),
            Ex::Runtime(rt) => rt.metrics_reader(),
        }
    }

    pub(crate) fn dump(&self) -> Dump {
        match self {
            Ex::Local(ex) => ex.dump(),
            Ex::Runtime(rt) => rt.dump(),
        }
    }

    /// Shuts down, without dropping the executor.
    pub(crate) fn shutdown(&self) {
        match self {
            Ex::Local(ex) => ex.shutdown().expect("local shutdown"),
            Ex::Runtime(rt) => rt
                .shutdown_timeout(Duration::from_secs(10))
                .expect("runtime shutdown"),
        }
    }

    pub(crate) fn is_local(&self) -> bool {
        matches!(self, Ex::Local(_))
    }
}

/// Counts drops of the values it hands out.
#[derive(Clone, Default)]
pub(crate) struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub(crate) fn token(&self) -> DropToken {
        DropToken(Arc::clone(&self.0))
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub(crate) struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A connected pair of Unix stream sockets (not registered anywhere).
pub(crate) fn socketpair() -> (UnixStream, UnixStream) {
    UnixStream::pair().expect("socketpair")
}

/// Reads exactly `buf.len()` bytes from a registered stream.
pub(crate) async fn read_exact(stream: &Async<UnixStream>, buf: &mut [u8]) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = stream.read_with(|s| (&*s).read(&mut buf[filled..])).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        filled += n;
    }
    Ok(())
}

/// Writes all of `buf` to a registered stream.
pub(crate) async fn write_all(stream: &Async<UnixStream>, buf: &[u8]) -> io::Result<()> {
    let mut written = 0;
    while written < buf.len() {
        written += stream.write_with(|s| (&*s).write(&buf[written..])).await?;
    }
    Ok(())
}

/// A one-slot async notification: `notify` sets it and wakes the waiter,
/// `wait` waits until it is set and clears it.
#[derive(Clone, Default)]
pub(crate) struct Signal(Arc<std::sync::Mutex<(bool, Option<std::task::Waker>)>>);

impl Signal {
    pub(crate) fn notify(&self) {
        let waker = {
            let mut slot = self.0.lock().unwrap();
            slot.0 = true;
            slot.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(crate) async fn wait(&self) {
        std::future::poll_fn(|cx| {
            let mut slot = self.0.lock().unwrap();
            if std::mem::take(&mut slot.0) {
                Poll::Ready(())
            } else {
                slot.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// Polls `future` to completion on this thread, outside every executor.
pub(crate) fn block_on_outside<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}
