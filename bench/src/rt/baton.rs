//! baton: the multi-thread `Runtime` and the `LocalExecutor`, on each of
//! baton's reactors (epoll, polling, io_uring).
//!
//! Tasks spawn through the executor's own API, as tokio and smol tasks
//! spawn through theirs: `Runtime::spawn` (the runtime is kept in a static,
//! one per child process, as smol's executor is) and `spawn_local`. The
//! `spawn_protocol` workload measures the portable path,
//! `baton_protocol::spawn`, which library code uses.

use std::future::Future;
use std::io;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use baton_executor::{LocalExecutor, Runtime};
use baton_hyper::{BatonIo, BatonTimer};
use baton_protocol::completion::{BufResult, Slice};
use baton_protocol::net::{TcpListener as BatonListener, TcpStream};
use baton_protocol::{Error, Handle, Promise, Reactor};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use hyper::service::service_fn;

use super::{OneShot, Remote, Rt};

/// The process's baton runtime: tasks reach it without a handle.
static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// baton's multi-thread `Runtime`.
pub(crate) struct Multi(&'static Runtime);

impl Multi {
    /// A runtime with `workers` workers on `reactor`; one per process.
    pub(crate) fn new(reactor: impl Reactor + 'static, workers: usize) -> Result<Multi, Error> {
        let runtime = Runtime::builder()
            .reactor(reactor)
            .workers(workers)
            .build()?;
        if RUNTIME.set(runtime).is_err() {
            return Err(Error::InvalidState(
                "one baton runtime per benchmark process",
            ));
        }
        RUNTIME.get().map(Multi).ok_or(Error::NoRuntime)
    }

    fn get() -> &'static Runtime {
        RUNTIME
            .get()
            .expect("the runtime was built before its tasks run")
    }
}

/// baton's `LocalExecutor`.
pub(crate) struct Local(LocalExecutor);

impl Local {
    /// An executor on `reactor`.
    pub(crate) fn new(reactor: impl Reactor + 'static) -> Result<Local, Error> {
        Ok(Local(LocalExecutor::builder().reactor(reactor).build()?))
    }
}

/// baton's `LocalExecutor` serving the owned-buffer echo
/// (`read_owned` / `write_owned`): the completion I/O experiment, on a
/// reactor in completion mode or by readiness.
pub(crate) struct LocalOwned(LocalExecutor);

impl LocalOwned {
    /// An executor on `reactor`.
    pub(crate) fn new(reactor: impl Reactor + 'static) -> Result<LocalOwned, Error> {
        Ok(LocalOwned(
            LocalExecutor::builder().reactor(reactor).build()?,
        ))
    }
}

/// A tokio runtime hosting the protocol (`baton-host-tokio`) over its
/// native reactor (`TokioReactor`), or over the epoll reactor as a guest:
/// the workloads run their protocol code, as on baton's own runtimes, on
/// tokio's threads.
pub(crate) struct HostTokio {
    rt: tokio::runtime::Runtime,
    host: baton_host_tokio::TokioHost,
}

impl HostTokio {
    /// A multi-thread runtime with `workers` workers, or a current-thread
    /// one for `None`, with the host started in it, over the epoll reactor
    /// as a guest if `guest`.
    pub(crate) fn new(workers: Option<usize>, guest: bool) -> Result<HostTokio, String> {
        let mut builder = match workers {
            Some(n) => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(n);
                b
            }
            None => tokio::runtime::Builder::new_current_thread(),
        };
        let rt = builder.enable_all().build().map_err(|e| e.to_string())?;
        let reactor: Arc<dyn Reactor> = if guest {
            Arc::new(baton_reactor_epoll::EpollReactor::new().map_err(|e| e.to_string())?)
        } else {
            Arc::new(baton_host_tokio::TokioReactor::new().map_err(|e| e.to_string())?)
        };
        let host = baton_host_tokio::TokioHost::start_on(rt.handle(), reactor)
            .map_err(|e| e.to_string())?;
        Ok(HostTokio { rt, host })
    }
}

/// A smol executor hosting the protocol (`baton-host-smol`) over the epoll
/// reactor: run by worker threads (`block_on` waits on the calling thread,
/// as `smol-multi` does), or by the `block_on` thread alone.
pub(crate) struct HostSmol {
    ex: Arc<async_executor::Executor<'static>>,
    host: baton_host_smol::SmolHost,
    multi: bool,
}

impl HostSmol {
    /// An executor run by `workers` threads for the rest of the process,
    /// or by the `block_on` thread alone for 0, with the host started on it.
    pub(crate) fn new(workers: usize) -> Result<HostSmol, String> {
        let ex = Arc::new(async_executor::Executor::new());
        let reactor = baton_reactor_epoll::EpollReactor::new().map_err(|e| e.to_string())?;
        let host =
            baton_host_smol::SmolHost::start(&ex, Arc::new(reactor)).map_err(|e| e.to_string())?;
        for i in 0..workers {
            let ex = Arc::clone(&ex);
            std::thread::Builder::new()
                .name(format!("smol-{i}"))
                .spawn(move || async_io::block_on(ex.run(std::future::pending::<()>())))
                .map_err(|e| e.to_string())?;
        }
        Ok(HostSmol {
            ex,
            host,
            multi: workers > 0,
        })
    }

    fn block_on_hosted<F: Future>(&self, future: F) -> F::Output {
        if self.multi {
            async_io::block_on(self.host.run(future))
        } else {
            self.host.block_on(&self.ex, future)
        }
    }
}

/// Spawns on a baton runtime from any thread.
#[derive(Clone)]
pub(crate) enum BatonRemote {
    /// `Runtime::spawn` on the process's runtime.
    Native,
    /// The protocol's `Handle`: a `LocalExecutor` takes foreign spawns only
    /// through it.
    Handle(Handle),
}

impl Remote for BatonRemote {
    fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let spawned = match self {
            BatonRemote::Native => Multi::get().spawn(future).map(drop),
            BatonRemote::Handle(handle) => handle.spawn(future).map(drop),
        };
        spawned.expect("the runtime is running");
    }
}

/// The protocol's `Promise` as a reply channel.
#[derive(Debug)]
pub(crate) struct PromiseShot;

impl OneShot for PromiseShot {
    type Tx = Promise<u64>;
    type Rx = Promise<u64>;

    fn pair() -> (Self::Tx, Self::Rx) {
        let promise = Promise::new();
        (promise.clone(), promise)
    }

    fn send(tx: Self::Tx, value: u64) {
        tx.set_result(value).expect("a reply is sent once");
    }

    async fn recv(rx: Self::Rx) -> u64 {
        rx.await.expect("the server replies to every request")
    }
}

macro_rules! baton_rt {
    (
        $ty:ty,
        |$this:ident, $future:ident| $block_on:expr,
        |$spawned:ident| $spawn:expr,
        |$rt:ident| $remote:expr,
        $serve_echo:ident
    ) => {
        impl Rt for $ty {
            type Remote = BatonRemote;
            type Sleep = baton_protocol::time::Sleep;
            type Shot = PromiseShot;

            fn block_on<F: Future>(&self, $future: F) -> F::Output {
                let $this = self;
                $block_on.expect("the runtime is running")
            }

            fn remote(&self) -> Option<BatonRemote> {
                let $rt = self;
                Some($remote)
            }

            fn spawn<F>($spawned: F)
            where
                F: Future<Output = ()> + Send + 'static,
            {
                drop($spawn.expect("spawned inside the runtime"));
            }

            fn spawn_protocol<F>(future: F)
            where
                F: Future<Output = ()> + Send + 'static,
            {
                drop(baton_protocol::spawn(future).expect("spawned inside the runtime"));
            }

            fn yield_now() -> impl Future<Output = ()> + Send {
                baton_protocol::task::yield_now()
            }

            fn sleep_until(deadline: Instant) -> Self::Sleep {
                baton_protocol::time::sleep_until(deadline)
            }

            async fn status(program: &'static str) -> std::process::ExitStatus {
                baton_protocol::process::Command::new(program)
                    .status()
                    .await
                    .expect("the program runs")
            }

            fn serve_echo(listener: TcpListener) -> impl Future<Output = ()> {
                $serve_echo::<Self>(listener)
            }

            fn serve_http(listener: TcpListener) -> impl Future<Output = ()> {
                serve_http::<Self>(listener)
            }

            fn serve_idle(
                listener: TcpListener,
                ready: Arc<AtomicUsize>,
            ) -> impl Future<Output = ()> {
                serve_idle::<Self>(listener, ready)
            }

            fn read_file(path: PathBuf, buf: usize) -> impl Future<Output = io::Result<u64>> {
                read_file(path, buf)
            }

            fn idle_listener(listener: TcpListener) -> impl Future<Output = ()> + Send + 'static {
                idle_listener(listener)
            }
        }
    };
}

baton_rt!(
    Multi,
    |this, future| this.0.block_on(future),
    |future| Multi::get().spawn(future),
    |_this| BatonRemote::Native,
    serve_echo
);
baton_rt!(
    HostTokio,
    |this, future| Ok::<_, Error>(this.host.block_on(&this.rt, future)),
    |future| baton_protocol::spawn(future),
    |this| BatonRemote::Handle(this.host.handle().clone()),
    serve_echo
);
baton_rt!(
    HostSmol,
    |this, future| Ok::<_, Error>(this.block_on_hosted(future)),
    |future| baton_protocol::spawn(future),
    |this| BatonRemote::Handle(this.host.handle().clone()),
    serve_echo
);
baton_rt!(
    Local,
    |this, future| this.0.block_on(future),
    |future| baton_executor::spawn_local(future),
    |this| BatonRemote::Handle(this.0.handle().clone()),
    serve_echo
);
baton_rt!(
    LocalOwned,
    |this, future| this.0.block_on(future),
    |future| baton_executor::spawn_local(future),
    |this| BatonRemote::Handle(this.0.handle().clone()),
    serve_echo_owned
);

async fn serve_echo<R: Rt>(listener: TcpListener) {
    let listener = BatonListener::from_std(listener).expect("a listening socket");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        R::spawn(echo(stream));
    }
}

async fn echo(mut stream: TcpStream) {
    let mut buf = vec![0; super::ECHO_BUFFER];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn serve_echo_owned<R: Rt>(listener: TcpListener) {
    let listener = BatonListener::from_std(listener).expect("a listening socket");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        R::spawn(echo_owned(stream));
    }
}

/// The echo written with owned buffers: one buffer moves into each read
/// and, sliced to what was read, into the writes, and comes back.
async fn echo_owned(stream: TcpStream) {
    let mut buf = vec![0; super::ECHO_BUFFER];
    loop {
        let BufResult(read, back) = stream.read_owned(buf).await;
        let n = match read {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut out = Slice::new(back, 0..n);
        while !out.is_empty() {
            let BufResult(written, back) = stream.write_owned(out).await;
            match written {
                Ok(0) | Err(_) => return,
                Ok(w) => out = back.advance(w),
            }
        }
        buf = out.into_inner();
    }
}

async fn serve_http<R: Rt>(listener: TcpListener) {
    let listener = BatonListener::from_std(listener).expect("a listening socket");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        R::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(BatonTimer::new())
                .serve_connection(BatonIo::new(stream), service_fn(crate::http::hello))
                .await;
        });
    }
}

/// Registers `listener` now (in the runtime's context) and accepts on it
/// in the returned future.
fn idle_listener(listener: TcpListener) -> impl Future<Output = ()> + Send + 'static {
    let listener = BatonListener::from_std(listener).expect("a listening socket");
    async move {
        loop {
            drop(listener.accept().await);
        }
    }
}

/// Reads a file to its end through the protocol's portable `fs::File`.
async fn read_file(path: PathBuf, buf: usize) -> io::Result<u64> {
    let mut file = baton_protocol::fs::File::open(path).await?;
    let mut buf = vec![0; buf];
    let mut total = 0;
    loop {
        match file.read(&mut buf).await? {
            0 => return Ok(total),
            n => total += n as u64,
        }
    }
}

async fn serve_idle<R: Rt>(listener: TcpListener, ready: Arc<AtomicUsize>) {
    let listener = BatonListener::from_std(listener).expect("a listening socket");
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let ready = Arc::clone(&ready);
        let task = async move {
            let mut buf = [0; super::IDLE_BUFFER];
            if matches!(stream.read(&mut buf).await, Ok(1..)) {
                ready.fetch_add(1, Ordering::Release);
                let _ = stream.read(&mut buf).await;
            }
        };
        R::spawn(task);
    }
}
