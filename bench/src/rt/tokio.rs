//! tokio: the multi-thread runtime (one worker per core, its default) and
//! the current-thread runtime.

use std::future::Future;
use std::io;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::{Builder, Handle, Runtime};

use super::{OneShot, Remote, Rt};

/// A tokio runtime.
pub(crate) struct Tokio(Runtime);

impl Tokio {
    /// The multi-thread runtime with `workers` workers.
    pub(crate) fn multi(workers: usize) -> io::Result<Tokio> {
        Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .map(Tokio)
    }

    /// The current-thread runtime.
    pub(crate) fn current() -> io::Result<Tokio> {
        Builder::new_current_thread()
            .enable_all()
            .build()
            .map(Tokio)
    }
}

/// Spawns on a tokio runtime from any thread.
#[derive(Clone)]
pub(crate) struct TokioRemote(Handle);

impl Remote for TokioRemote {
    fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.0.spawn(future));
    }
}

/// tokio's oneshot channel.
#[derive(Debug)]
pub(crate) struct TokioShot;

impl OneShot for TokioShot {
    type Tx = tokio::sync::oneshot::Sender<u64>;
    type Rx = tokio::sync::oneshot::Receiver<u64>;

    fn pair() -> (Self::Tx, Self::Rx) {
        tokio::sync::oneshot::channel()
    }

    fn send(tx: Self::Tx, value: u64) {
        let _ = tx.send(value);
    }

    async fn recv(rx: Self::Rx) -> u64 {
        rx.await.expect("the server replies to every request")
    }
}

impl Rt for Tokio {
    type Remote = TokioRemote;
    type Sleep = tokio::time::Sleep;
    type Shot = TokioShot;

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn remote(&self) -> Option<TokioRemote> {
        Some(TokioRemote(self.0.handle().clone()))
    }

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(future));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn sleep_until(deadline: Instant) -> Self::Sleep {
        tokio::time::sleep_until(deadline.into())
    }

    async fn status(program: &'static str) -> std::process::ExitStatus {
        tokio::process::Command::new(program)
            .status()
            .await
            .expect("the program runs")
    }

    async fn serve_echo(listener: TcpListener) {
        listener.set_nonblocking(true).expect("a listening socket");
        let listener = tokio::net::TcpListener::from_std(listener).expect("a listening socket");
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
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
            });
        }
    }

    async fn serve_http(listener: TcpListener) {
        listener.set_nonblocking(true).expect("a listening socket");
        let listener = tokio::net::TcpListener::from_std(listener).expect("a listening socket");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service_fn(crate::http::hello))
                    .await;
            });
        }
    }

    async fn serve_idle(listener: TcpListener, ready: Arc<AtomicUsize>) {
        listener.set_nonblocking(true).expect("a listening socket");
        let listener = tokio::net::TcpListener::from_std(listener).expect("a listening socket");
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let ready = Arc::clone(&ready);
            tokio::spawn(async move {
                let mut buf = [0; super::IDLE_BUFFER];
                if matches!(stream.read(&mut buf).await, Ok(1..)) {
                    ready.fetch_add(1, Ordering::Release);
                    let _ = stream.read(&mut buf).await;
                }
            });
        }
    }

    fn idle_listener(listener: TcpListener) -> impl Future<Output = ()> + Send + 'static {
        listener.set_nonblocking(true).expect("a listening socket");
        let listener = tokio::net::TcpListener::from_std(listener).expect("a listening socket");
        async move {
            loop {
                drop(listener.accept().await);
            }
        }
    }

    async fn read_file(path: PathBuf, buf: usize) -> io::Result<u64> {
        let mut file = tokio::fs::File::open(path).await?;
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
