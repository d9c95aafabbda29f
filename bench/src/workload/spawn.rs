//! `spawn_inside`, `spawn_foreign`, `chained_spawn`: the cost of a spawn.

use std::sync::Arc;
use std::thread;
use std::time::Instant;

use super::{Countdown, Outcome, metrics};
use crate::rt::{Job, Remote, Rt};

/// N tasks spawned by a task of the runtime; `protocol`: through the
/// portable `baton_protocol::spawn` (the same as the native spawn on a
/// peer).
#[derive(Clone, Copy)]
pub(super) struct Inside {
    pub(super) n: usize,
    pub(super) protocol: bool,
}

impl Job for Inside {
    type Output = f64;

    fn run<R: Rt>(self, rt: &R) -> f64 {
        let Inside { n, protocol } = self;
        Countdown::fan_out(rt, n, move |countdown| {
            let task = async move { countdown.tick() };
            if protocol {
                R::spawn_protocol(task);
            } else {
                R::spawn(task);
            }
        })
    }
}

/// N tasks spawned from a thread that is not the runtime's, while the
/// runtime's thread waits in `block_on`.
#[derive(Clone, Copy)]
pub(super) struct Foreign(pub(super) usize);

impl Foreign {
    fn once<R: Rt>(self, rt: &R, remote: &R::Remote) -> f64 {
        let n = self.0;
        let (countdown, done) = Countdown::new(n);
        let start = Instant::now();
        thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..n {
                    let countdown = Arc::clone(&countdown);
                    remote.spawn(async move { countdown.tick() });
                }
            });
            rt.block_on(done).expect("the last task says so");
        });
        start.elapsed().as_secs_f64() * 1e3
    }
}

impl Job for Foreign {
    type Output = Outcome;

    fn run<R: Rt>(self, rt: &R) -> Outcome {
        let Some(remote) = rt.remote() else {
            return Outcome::Skipped("the executor cannot be reached from another thread".into());
        };
        let _ = self.once(rt, &remote);
        Outcome::Done(metrics([("ms", self.once(rt, &remote))]))
    }
}

/// A chain of N tasks, each spawning the next.
#[derive(Clone, Copy)]
pub(super) struct Chained(pub(super) usize);

fn link<R: Rt>(countdown: Arc<Countdown>, left: usize) {
    if left == 0 {
        countdown.tick();
    } else {
        R::spawn(async move { link::<R>(countdown, left - 1) });
    }
}

impl Job for Chained {
    type Output = f64;

    fn run<R: Rt>(self, rt: &R) -> f64 {
        let n = self.0;
        rt.block_on(async move {
            let start = Instant::now();
            let (countdown, done) = Countdown::new(1);
            R::spawn(async move { link::<R>(countdown, n) });
            done.await.expect("the last task says so");
            start.elapsed().as_secs_f64() * 1e3
        })
    }
}
