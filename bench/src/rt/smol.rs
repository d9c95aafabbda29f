//! smol: async-executor's `Executor` run by worker threads, and its
//! `LocalExecutor`, both with async-io's reactor and `block_on` (what the
//! `smol` crate re-exports).

use std::future::{self, Future};
use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Instant;

use async_executor::{Executor, LocalExecutor};
use async_io::{Async, Timer};
use baton_hyper::BatonIo;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use hyper::service::service_fn;

use super::{FuturesShot, NoRemote, Remote, Rt};
use crate::http::smol::SmolTimer;

/// The multi-thread executor: one per process (a child process runs one
/// runtime), so tasks reach it without a handle, as with `smol::spawn`.
static EXECUTOR: Executor<'static> = Executor::new();

thread_local! {
    /// The local executor of the thread that runs [`Local::block_on`].
    static LOCAL: LocalExecutor<'static> = const { LocalExecutor::new() };
}

/// `Executor` on `workers` threads; `block_on` waits on the calling thread,
/// as tokio's multi-thread `block_on` does.
pub(crate) struct Multi;

impl Multi {
    /// Starts `workers` threads running the executor for the rest of the
    /// process.
    pub(crate) fn new(workers: usize) -> io::Result<Multi> {
        for i in 0..workers {
            thread::Builder::new()
                .name(format!("smol-{i}"))
                .spawn(|| async_io::block_on(EXECUTOR.run(future::pending::<()>())))?;
        }
        Ok(Multi)
    }
}

/// Spawns on the multi-thread executor from any thread.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SmolRemote;

impl Remote for SmolRemote {
    fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        EXECUTOR.spawn(future).detach();
    }
}

/// `LocalExecutor` run by the thread that calls `block_on`.
pub(crate) struct Local;

macro_rules! smol_rt {
    ($ty:ty, Remote = $remote:ty, $remote_value:expr, |$future:ident| $block_on:expr, |$spawned:ident| $spawn:expr) => {
        impl Rt for $ty {
            type Remote = $remote;
            type Sleep = Timer;
            type Shot = FuturesShot;

            fn block_on<F: Future>(&self, $future: F) -> F::Output {
                $block_on
            }

            fn remote(&self) -> Option<$remote> {
                $remote_value
            }

            fn spawn<F>($spawned: F)
            where
                F: Future<Output = ()> + Send + 'static,
            {
                $spawn
            }

            fn yield_now() -> impl Future<Output = ()> + Send {
                futures_lite::future::yield_now()
            }

            fn sleep_until(deadline: Instant) -> Self::Sleep {
                Timer::at(deadline)
            }

            async fn status(program: &'static str) -> std::process::ExitStatus {
                async_process::Command::new(program)
                    .status()
                    .await
                    .expect("the program runs")
            }

            async fn serve_echo(listener: TcpListener) {
                let listener = Async::new(listener).expect("a listening socket");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.get_ref().set_nodelay(true);
                    Self::spawn(echo(stream));
                }
            }

            async fn serve_http(listener: TcpListener) {
                let listener = Async::new(listener).expect("a listening socket");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.get_ref().set_nodelay(true);
                    Self::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(SmolTimer)
                            .serve_connection(BatonIo::new(stream), service_fn(crate::http::hello))
                            .await;
                    });
                }
            }

            async fn serve_idle(listener: TcpListener, ready: Arc<AtomicUsize>) {
                let listener = Async::new(listener).expect("a listening socket");
                loop {
                    let Ok((mut stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let ready = Arc::clone(&ready);
                    Self::spawn(async move {
                        let mut buf = [0; super::IDLE_BUFFER];
                        if matches!(stream.read(&mut buf).await, Ok(1..)) {
                            ready.fetch_add(1, Ordering::Release);
                            let _ = stream.read(&mut buf).await;
                        }
                    });
                }
            }

            fn idle_listener(listener: TcpListener) -> impl Future<Output = ()> + Send + 'static {
                let listener = Async::new(listener).expect("a listening socket");
                async move {
                    loop {
                        drop(listener.accept().await);
                    }
                }
            }

            async fn read_file(path: PathBuf, buf: usize) -> io::Result<u64> {
                let mut file = async_fs::File::open(path).await?;
                let mut buf = vec![0; buf];
                let mut total = 0;
                loop {
                    match file.read(&mut buf).await? {
                        0 => return Ok(total),
                        n => total += n as u64,
                    }
                }
            }
        }
    };
}

smol_rt!(
    Multi,
    Remote = SmolRemote,
    Some(SmolRemote),
    |future| async_io::block_on(future),
    |future| EXECUTOR.spawn(future).detach()
);
smol_rt!(
    Local,
    Remote = NoRemote,
    None,
    |future| LOCAL.with(|ex| async_io::block_on(ex.run(future))),
    |future| LOCAL.with(|ex| ex.spawn(future).detach())
);

async fn echo(mut stream: Async<TcpStream>) {
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
