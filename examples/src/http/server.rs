//! The server: one task per connection, each served by hyper-util's `auto`
//! builder (HTTP/1.1, or HTTP/2 when the client opens with its preface), an
//! idle deadline per connection, and a graceful shutdown.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use baton_hyper::{BatonExecutor, BatonIo, BatonTimer};
use baton_protocol::net::TcpListener;
use baton_protocol::net::TcpStream;
use baton_protocol::time::{self, now, sleep_until};
use baton_protocol::{Error, Promise, TaskGroup};
use futures_lite::future;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::server::conn::auto;
use pin_project_lite::pin_project;

use super::routes;

/// The server's deadlines, all on the runtime's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// How long an HTTP/1 request head may take to arrive, counted from
    /// when the server starts reading it (for a kept-alive connection, from
    /// the end of the previous response): hyper closes the connection.
    pub header_read_timeout: Duration,
    /// How long a connection may sit with no request in flight before it
    /// is shut down (gracefully: an HTTP/2 client gets a GOAWAY).
    pub idle_timeout: Duration,
    /// How long a graceful shutdown waits for the requests in flight before
    /// it cancels the connections still open.
    pub drain_timeout: Duration,
}

impl Default for Config {
    /// 10 s to send a request head, 60 s of idleness, 10 s to drain.
    fn default() -> Config {
        Config {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// How a [`serve`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drained {
    /// Every connection finished its requests within the drain deadline.
    Clean,
    /// The drain deadline passed; this many connections were cancelled.
    Cancelled(usize),
}

/// Serves HTTP on `listener` until `stop` completes, then shuts down
/// gracefully: stops accepting, asks every connection to finish (HTTP/1
/// closes once its response is written, HTTP/2 sends GOAWAY and finishes
/// its open streams), and waits up to `config.drain_timeout` for them;
/// connections still open then are cancelled.
///
/// A connection's own failure (a malformed request, a peer that went away,
/// a deadline) ends that connection only.
///
/// # Errors
///
/// What ends the runtime: [`Error::Shutdown`], [`Error::NoRuntime`], or the
/// listener closed through the protocol.
pub async fn serve(
    listener: &TcpListener,
    config: Config,
    stop: impl Future<Output = ()>,
) -> Result<Drained, Error> {
    let mut builder = auto::Builder::new(BatonExecutor::new());
    builder
        .http1()
        .timer(BatonTimer::new())
        .header_read_timeout(config.header_read_timeout);
    builder.http2().timer(BatonTimer::new());
    let builder = Arc::new(builder);
    let stopping = Promise::<()>::new();
    let connections = TaskGroup::new();

    let accepting = async {
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let task = connection(stream, Arc::clone(&builder), config, stopping.clone());
                    connections.spawn(task)?;
                }
                Err(e) => match Error::from(e) {
                    fatal @ (Error::Shutdown | Error::Closed | Error::NoRuntime) => {
                        return Err(fatal);
                    }
                    other => eprintln!("warning: accept failed: {other}"),
                },
            }
        }
    };
    future::or(accepting, async {
        stop.await;
        Ok(())
    })
    .await?;

    // Stop accepting (the listener is no longer polled) and ask every
    // connection to finish.
    stopping.set_result(())?;
    match time::timeout(config.drain_timeout, connections.join()).await {
        Ok(_) => Ok(Drained::Clean),
        Err(Error::Elapsed) => {
            let left = connections.len();
            connections.cancel();
            let _cancelled = connections.join().await;
            Ok(Drained::Cancelled(left))
        }
        Err(e) => Err(e),
    }
}

/// Serves one connection until it ends, shutting it down gracefully when
/// the server stops or the connection has been idle too long. Its errors
/// (bad requests, deadlines, resets) end it and are not the server's: it
/// always returns `Ok`, so that the group never fails.
async fn connection(
    stream: TcpStream,
    builder: Arc<auto::Builder<BatonExecutor>>,
    config: Config,
    stopping: Promise<()>,
) -> Result<(), Error> {
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = Arc::clone(&activity);
        service_fn(move |request: hyper::Request<Incoming>| {
            let in_flight = InFlight::start(&activity);
            async move {
                let response = routes::handle(request).await;
                // The request stays in flight until its response body is
                // done (the guard goes with the body).
                Ok::<_, Infallible>(response.map(|body| Tracked { body, in_flight }))
            }
        })
    };
    let mut conn = pin!(builder.serve_connection(BatonIo::new(stream), service));
    let mut finish = pin!(future::or(
        async {
            let _ = (&stopping).await;
        },
        activity.idle_for(config.idle_timeout),
    ));
    let mut finishing = false;
    let _outcome = poll_fn(|cx| {
        if !finishing && finish.as_mut().poll(cx).is_ready() {
            finishing = true;
            conn.as_mut().graceful_shutdown();
        }
        conn.as_mut().poll(cx)
    })
    .await;
    Ok(())
}

/// What the idle deadline of one connection watches: requests in flight,
/// and when the last one ended (or the connection was accepted).
#[derive(Debug)]
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(now()),
        }
    }

    fn last(&self) -> Instant {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Completes once no request has been in flight for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let deadline = self.last() + idle;
            if self.in_flight.load(Ordering::Acquire) == 0 && now() >= deadline {
                return;
            }
            // Busy, or not idle long enough yet: look again at the
            // earliest instant the connection could have been idle enough.
            let wake = if now() >= deadline {
                now() + idle
            } else {
                deadline
            };
            if sleep_until(wake).await.is_err() {
                // No timer to keep (the runtime is shutting down): idle.
                return;
            }
        }
    }
}

pin_project! {
    /// A response body that keeps its request in flight until it is
    /// dropped (sent, or abandoned with its connection).
    struct Tracked {
        #[pin]
        body: routes::Body,
        in_flight: InFlight,
    }
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = routes::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, routes::BoxError>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// One request in flight on a connection, until dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.last.lock().unwrap_or_else(PoisonError::into_inner) = now();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}
