//! The design note's sleep scheduling: many tasks sleep random durations,
//! and they wake in deadline order, each a little late, never early.
//!
//! The note describes how a loop runs sleeping coroutines: keep their
//! wake-up times in a heap, sleep until the nearest, pop it, resume it.
//! In baton that heap is the reactor's timers: each task's
//! [`sleep_until`] inserts one, and each `park` waits until the nearest
//! deadline (or I/O) and wakes the due tasks. [`run`] spawns the sleepers
//! and records, in the order they actually woke, how late each was on the
//! reactor's clock.
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use baton_examples::sleep_heap::{Config, run};
//!
//! # async fn demo() -> Result<(), baton_protocol::Error> {
//! let report = run(Config { tasks: 10, max: Duration::from_millis(100), seed: 7 }).await?;
//! assert!(report.never_early());
//! print!("{report}");
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use baton_protocol::time::sleep_until;
use baton_protocol::{Error, Handle, spawn};

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// How many sleeping tasks.
    pub tasks: usize,
    /// The longest sleep; each task sleeps a whole number of milliseconds
    /// from 0 to this, drawn from `seed`.
    pub max: Duration,
    /// The seed of the durations: the same seed gives the same sleeps.
    pub seed: u64,
}

/// One task's wake-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wake {
    /// The task's number, in spawn order from 0.
    pub task: usize,
    /// How long it asked to sleep.
    pub slept: Duration,
    /// How long after its deadline it woke (zero if on time).
    pub late: Duration,
    /// Whether it woke before its deadline: a broken timer contract.
    pub early: bool,
}

/// The wake-ups, in the order the tasks woke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The configuration run.
    pub config: Config,
    /// One entry per task, in wake order.
    pub wakes: Vec<Wake>,
    /// The reactor's advertised resolution: how late a timer may be on an
    /// idle machine.
    pub resolution: Duration,
}

impl Report {
    /// Whether every task woke at or after its deadline.
    pub fn never_early(&self) -> bool {
        self.wakes.iter().all(|w| !w.early)
    }

    /// Whether the tasks woke in the order of their deadlines (ties in any
    /// order).
    pub fn in_deadline_order(&self) -> bool {
        self.wakes.windows(2).all(|w| w[0].slept <= w[1].slept)
    }

    /// The latest wake-up's lateness.
    pub fn max_late(&self) -> Duration {
        self.wakes.iter().map(|w| w.late).max().unwrap_or_default()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} tasks sleeping 0..={} ms (seed {}), in the order they woke:",
            self.config.tasks,
            self.config.max.as_millis(),
            self.config.seed
        )?;
        for (i, wake) in self.wakes.iter().enumerate() {
            writeln!(
                f,
                "{:>4}. task {:>3} slept {:>5} ms, woke {:>7.3} ms {}",
                i + 1,
                wake.task,
                wake.slept.as_millis(),
                wake.late.as_secs_f64() * 1e3,
                if wake.early { "EARLY" } else { "late" },
            )?;
        }
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mean = if self.wakes.is_empty() {
            Duration::ZERO
        } else {
            self.wakes.iter().map(|w| w.late).sum::<Duration>() / self.wakes.len() as u32
        };
        writeln!(
            f,
            "woke in deadline order: {}",
            yes_no(self.in_deadline_order())
        )?;
        writeln!(f, "never early: {}", yes_no(self.never_early()))?;
        writeln!(
            f,
            "lateness: max {:.3} ms, mean {:.3} ms (reactor resolution {:?})",
            self.max_late().as_secs_f64() * 1e3,
            mean.as_secs_f64() * 1e3,
            self.resolution
        )
    }
}

/// Spawns `config.tasks` sleepers with a common start, waits for all, and
/// reports their wake-ups in the order they happened.
///
/// # Errors
///
/// [`Error::NoRuntime`] outside a runtime; a sleeper's error
/// ([`Error::Shutdown`]); an [`Error::InvalidState`] for a `max` over
/// a day (the sleeps are whole milliseconds drawn below it).
pub async fn run(config: Config) -> Result<Report, Error> {
    let max_ms = u64::try_from(config.max.as_millis())
        .ok()
        .filter(|&ms| ms <= 86_400_000)
        .ok_or(Error::InvalidState("sleep_heap sleeps at most a day"))?;
    let reactor = Arc::clone(Handle::current()?.reactor());
    let mut rng = fastrand::Rng::with_seed(config.seed);
    let woke: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let start = reactor.now();
    let mut deadlines = Vec::with_capacity(config.tasks);
    let mut sleepers = Vec::with_capacity(config.tasks);
    for task in 0..config.tasks {
        let slept = Duration::from_millis(rng.u64(0..=max_ms));
        let deadline = start + slept;
        deadlines.push((slept, deadline));
        let (woke, reactor) = (Arc::clone(&woke), Arc::clone(&reactor));
        sleepers.push(spawn(async move {
            sleep_until(deadline).await?;
            let now = reactor.now();
            woke.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((task, now));
            Ok::<_, Error>(())
        })?);
    }
    for sleeper in sleepers {
        sleeper.await??;
    }
    let woke = std::mem::take(&mut *woke.lock().unwrap_or_else(PoisonError::into_inner));
    let wakes = woke
        .into_iter()
        .map(|(task, at)| {
            let (slept, deadline) = deadlines[task];
            Wake {
                task,
                slept,
                late: at.saturating_duration_since(deadline),
                early: at < deadline,
            }
        })
        .collect();
    Ok(Report {
        config,
        wakes,
        resolution: reactor.resolution(),
    })
}
