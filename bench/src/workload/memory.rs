//! `idle_tasks` and `idle_conns`: what a parked task or connection costs in
//! memory, as peak RSS growth.

use std::future::Future;
use std::io::Write;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::{Outcome, metrics};
use crate::proc;
use crate::rt::{Job, Rt};

const MIB: f64 = 1024.0 * 1024.0;

/// A task that says it ran once, then stays pending for ever (it keeps no
/// waker: nothing will wake it).
struct Parked(Option<Arc<AtomicUsize>>);

impl Future for Parked {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if let Some(ready) = self.0.take() {
            ready.fetch_add(1, Ordering::Release);
        }
        Poll::Pending
    }
}

/// Waits (polling every millisecond) until `ready` reaches `n`.
async fn until<R: Rt>(ready: &AtomicUsize, n: usize) {
    while ready.load(Ordering::Acquire) < n {
        R::sleep_until(Instant::now() + Duration::from_millis(1)).await;
    }
}

/// N parked tasks.
#[derive(Clone, Copy)]
pub(super) struct IdleTasks(pub(super) usize);

impl Job for IdleTasks {
    type Output = Outcome;

    fn run<R: Rt>(self, rt: &R) -> Outcome {
        let n = self.0;
        let base = proc::status_bytes("VmRSS");
        rt.block_on(async move {
            let ready = Arc::new(AtomicUsize::new(0));
            let spawner = Arc::clone(&ready);
            R::spawn(async move {
                for _ in 0..n {
                    R::spawn(Parked(Some(Arc::clone(&spawner))));
                }
            });
            until::<R>(&ready, n).await;
        });
        let peak = proc::status_bytes("VmHWM");
        Outcome::Done(metrics([
            (
                "bytes_per_task",
                peak.saturating_sub(base) as f64 / n as f64,
            ),
            ("peak_mib", peak as f64 / MIB),
        ]))
    }
}

/// N idle connections: the process listens, prints `listening <addr>`, and
/// the suite connects N times, sending one byte on each.
#[derive(Clone, Copy)]
pub(super) struct IdleConns(pub(super) usize);

impl Job for IdleConns {
    type Output = Outcome;

    fn run<R: Rt>(self, rt: &R) -> Outcome {
        let n = self.0;
        let needed = n as u64 + 256;
        if let Some(limit) = proc::open_files_limit()
            && limit < needed
        {
            return Outcome::Skipped(format!(
                "{n} connections need {needed} open files; the limit is {limit}"
            ));
        }
        let listener = match TcpListener::bind(("127.0.0.1", 0)) {
            Ok(l) => l,
            Err(e) => return Outcome::Skipped(format!("cannot listen on loopback: {e}")),
        };
        let addr = listener
            .local_addr()
            .expect("a bound socket has an address");
        let base = proc::status_bytes("VmRSS");
        println!("listening {addr}");
        let _ = std::io::stdout().flush();
        rt.block_on(async move {
            let ready = Arc::new(AtomicUsize::new(0));
            let serve = R::serve_idle(listener, Arc::clone(&ready));
            futures_lite::future::or(serve, until::<R>(&ready, n)).await;
        });
        let peak = proc::status_bytes("VmHWM");
        Outcome::Done(metrics([
            (
                "bytes_per_conn",
                peak.saturating_sub(base) as f64 / n as f64,
            ),
            ("peak_mib", peak as f64 / MIB),
        ]))
    }
}
