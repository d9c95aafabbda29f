//! `yield_many` and `ping_pong`: the scheduler's hot paths.

use futures_channel::oneshot;

use super::Countdown;
use crate::rt::{Job, Rt};

/// `tasks` tasks each yielding `yields` times.
#[derive(Clone, Copy)]
pub(super) struct YieldMany {
    pub(super) tasks: usize,
    pub(super) yields: usize,
}

impl Job for YieldMany {
    type Output = f64;

    fn run<R: Rt>(self, rt: &R) -> f64 {
        let YieldMany { tasks, yields } = self;
        Countdown::fan_out(rt, tasks, move |countdown| {
            R::spawn(async move {
                for _ in 0..yields {
                    R::yield_now().await;
                }
                countdown.tick();
            });
        })
    }
}

/// N pings (tokio's `ping_pong`): for each, a task spawns a peer and they
/// exchange two oneshot messages.
#[derive(Clone, Copy)]
pub(super) struct PingPong(pub(super) usize);

impl Job for PingPong {
    type Output = f64;

    fn run<R: Rt>(self, rt: &R) -> f64 {
        Countdown::fan_out(rt, self.0, |countdown| {
            R::spawn(async move {
                let (tx1, rx1) = oneshot::channel::<()>();
                let (tx2, rx2) = oneshot::channel::<()>();
                R::spawn(async move {
                    rx1.await.expect("a ping");
                    let _ = tx2.send(());
                });
                let _ = tx1.send(());
                rx2.await.expect("a pong");
                countdown.tick();
            });
        })
    }
}
