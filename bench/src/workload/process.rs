//! `process_spawn`: a child process started and waited for, through each
//! runtime's process API.

use std::time::Instant;

use super::{Outcome, metrics};
use crate::rt::{Job, Rt};

/// The child: exits at once, so the figure is the runtime's cost of a
/// spawn and of learning the exit (plus the kernel's fork and exec).
const PROGRAM: &str = "/bin/true";

/// Children run before the measured ones: the first spawns fault in the
/// runtime's process machinery (reaper, signal or pidfd set-up).
const WARM_UP: usize = 10;

/// N children of [`PROGRAM`], one after another, each spawned and waited for.
#[derive(Clone, Copy)]
pub(super) struct SpawnWait(pub(super) usize);

impl Job for SpawnWait {
    type Output = Outcome;

    fn run<R: Rt>(self, rt: &R) -> Outcome {
        let n = self.0;
        let us = rt.block_on(async move {
            for _ in 0..WARM_UP {
                assert!(R::status(PROGRAM).await.success());
            }
            let start = Instant::now();
            for _ in 0..n {
                assert!(R::status(PROGRAM).await.success());
            }
            start.elapsed().as_secs_f64() * 1e6 / n as f64
        });
        Outcome::Done(metrics([("us", us)]))
    }
}
