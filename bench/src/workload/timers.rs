//! `timers` and `timer_cancel`: the timer driver under load.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_channel::oneshot;

use super::{Countdown, Outcome, metrics};
use crate::proc;
use crate::rt::{Job, Rt};

/// Timers polled per task poll: under both tokio's and baton's cooperative
/// budget (128), so that every poll reaches the timer driver.
const BATCH: usize = 64;

/// N tasks each sleeping a random 1–50 ms (the same seed on every runtime).
#[derive(Clone, Copy)]
pub(super) struct Sleeps(pub(super) usize);

impl Job for Sleeps {
    type Output = Outcome;

    fn run<R: Rt>(self, rt: &R) -> Outcome {
        let n = self.0;
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let delays: Vec<Duration> = (0..n)
            .map(|_| Duration::from_micros(rng.u64(1_000..=50_000)))
            .collect();
        let late: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
        let cpu = proc::self_cpu_ns();
        rt.block_on({
            let late = Arc::clone(&late);
            async move {
                let (countdown, done) = Countdown::new(n);
                R::spawn(async move {
                    for (i, delay) in delays.into_iter().enumerate() {
                        let countdown = Arc::clone(&countdown);
                        let late = Arc::clone(&late);
                        R::spawn(async move {
                            let deadline = Instant::now() + delay;
                            R::sleep_until(deadline).await;
                            let ns = Instant::now()
                                .saturating_duration_since(deadline)
                                .as_nanos();
                            late[i].store(u64::try_from(ns).unwrap_or(u64::MAX), Ordering::Relaxed);
                            countdown.tick();
                        });
                    }
                });
                done.await.expect("the last task says so");
            }
        });
        let cpu = proc::self_cpu_ns().saturating_sub(cpu);
        let mut late: Vec<u64> = late.iter().map(|l| l.load(Ordering::Relaxed)).collect();
        late.sort_unstable();
        let at = |q: f64| late[((late.len() - 1) as f64 * q).round() as usize] as f64 / 1e3;
        Outcome::Done(metrics([
            ("late_p50_us", at(0.5)),
            ("late_p99_us", at(0.99)),
            ("cpu_ms", cpu as f64 / 1e6),
        ]))
    }
}

/// With `pending` timers pending, insert + cancel (drop) of one more, many
/// times; and the cost of inserting the `pending` ones.
#[derive(Clone, Copy)]
pub(super) struct Cancel {
    pub(super) pending: usize,
}

/// Polls `timer` once, which registers it with the runtime's timer driver.
fn arm<F: Future>(timer: Pin<&mut F>) -> impl Future<Output = ()> {
    let mut timer = Some(timer);
    poll_fn(move |cx| {
        if let Some(timer) = timer.take() {
            let _ = timer.poll(cx);
        }
        Poll::Ready(())
    })
}

impl Job for Cancel {
    type Output = Outcome;

    fn run<R: Rt>(self, rt: &R) -> Outcome {
        let pending = self.pending;
        let ops = (pending / 5).max(BATCH);
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let mut deadline = {
            let now = Instant::now();
            move || now + Duration::from_millis(rng.u64(1_000..60_000))
        };
        let first: Vec<Instant> = (0..pending).map(|_| deadline()).collect();
        let then: Vec<Instant> = (0..ops).map(|_| deadline()).collect();
        let (tx, rx) = oneshot::channel();
        let (insert, cancel) = rt.block_on(async move {
            R::spawn(async move {
                let mut timers: Vec<Pin<Box<R::Sleep>>> = first
                    .into_iter()
                    .map(|d| Box::pin(R::sleep_until(d)))
                    .collect();
                let mut inserting = Duration::ZERO;
                for batch in timers.chunks_mut(BATCH) {
                    let start = Instant::now();
                    for timer in batch {
                        arm(timer.as_mut()).await;
                    }
                    inserting += start.elapsed();
                    R::yield_now().await;
                }
                let mut cancelling = Duration::ZERO;
                for batch in then.chunks(BATCH) {
                    let start = Instant::now();
                    for &d in batch {
                        let timer = pin!(R::sleep_until(d));
                        arm(timer).await;
                    }
                    cancelling += start.elapsed();
                    R::yield_now().await;
                }
                let _ = tx.send((inserting, cancelling));
                // Keep the pending timers until the figures are out.
                drop(timers);
            });
            rx.await.expect("the timing task reports")
        });
        Outcome::Done(metrics([
            ("cancel_ns", cancel.as_nanos() as f64 / ops as f64),
            ("insert_ns", insert.as_nanos() as f64 / pending as f64),
        ]))
    }
}
