//! Executors for the baton await protocol, on async-task: a multi-thread
//! work-stealing [`Runtime`], a single-thread [`LocalExecutor`], and
//! `block_on` on both.
//!
//! Use this crate to run code written against [`baton_protocol`] on any
//! reactor: the executors know the reactor only as a
//! [`baton_protocol::Reactor`] trait object, so the same program runs on
//! `baton-reactor-epoll`, `baton-reactor-poll` or a test decorator by
//! changing one line. Both executors implement the protocol's
//! [`Spawn`](baton_protocol::Spawn) and enter their
//! [`Handle`](baton_protocol::Handle) on every thread that runs tasks, so
//! [`baton_protocol::spawn`], `sleep` and the socket types work inside.
//!
//! What every task gets, on both executors:
//!
//! - **join semantics** of [`baton_protocol::JoinHandle`] (dropping the
//!   handle detaches; `abort` and `cancel` cancel; a task cancelled before
//!   its first poll is never polled), through this crate's [`JoinHandle`];
//! - **panic isolation**: a panic ends only its task, whose handle gives
//!   `Error::Panicked` with the payload text;
//! - **fairness**: a cooperative budget per poll; work from other threads
//!   checked every N ticks; the reactor polled at least every M polls even
//!   when no thread is idle; a task that wakes itself runs again only after
//!   the reactor was polled and the work queued before it ran;
//! - **clean shutdown**: every future dropped exactly once, none polled
//!   after shutdown starts, handles of cancelled tasks resolving to
//!   `Error::Cancelled`, spawning afterwards `Error::Shutdown`;
//! - **introspection**: [`Metrics`], and a task [`Dump`] that says what each
//!   task waits on ("task 7 (conn-handler, spawned at src/server.rs:41)
//!   waits for fd 9 readable");
//! - a **lost-waker check** (debug builds, or by builder option) reporting a
//!   task that returned `Pending` without keeping its waker ([`LostWaker`]).
//!
//! # Tracing and metrics
//!
//! [`Metrics`] is always there: counts, a park-duration histogram and a
//! busy ratio per worker, the blocking pool's queue depth; with
//! [`Builder::metrics_histograms`], histograms of poll duration and of
//! scheduled-to-run delay; with [`Builder::slow_poll_threshold`], a count
//! of slow polls. Read it from the executor or, from any thread, through a
//! [`MetricsReader`]. Two optional features build on it, each compiled out
//! entirely when off:
//!
//! - `tracing`: a span per task (id, name, spawn location) and TRACE events
//!   for spawns, polls, wakes, parks and unparks; a WARN event for each
//!   slow poll, naming the task and where it was spawned. Targets
//!   `baton_executor::task` and `baton_executor::worker`. With no
//!   subscriber interested, a task keeps no span and each hook costs a
//!   load and a compare;
//! - `metrics`: `MetricsPublisher` hands snapshots to the `metrics` facade
//!   crate (counters, gauges, histograms in seconds), so that whatever
//!   recorder the application installed (Prometheus, StatsD, ...) exports
//!   them; on demand, or from a task that publishes periodically.
//!
//! The cost of both features compiled in with nothing installed is
//! measured in `BENCHMARKS.md` (`cargo xtask bench --observed`).
//!
//! See also `baton-conformance`, which runs the protocol's contract against
//! every reactor × executor pair.
//!
//! # Tasks and `unsafe`
//!
//! A task is one allocation, as in smol: async-task's header, the task's
//! record (id, spawn location, executor, registry slot, state, and its last
//! wait report with a count of polls, packed) as its metadata, and the
//! future, later its output; a task's name, poll times, and a report or
//! count too large to pack go to a second, small box only for tasks that
//! have one. The crate's only `unsafe` code lets the future and the
//! registry borrow that record, and lets the packed report and the box's
//! pointer share one word; it lives in one module with its invariants
//! written down.
//!
//! Checking it under miri (nightly only; CI does not need it): the module's
//! own tests, and the integration tests on the epoll reactor (miri emulates
//! epoll and eventfd, not the timerfd that `polling` uses). Tree Borrows and
//! `ignore-leaks` because crossbeam-epoch, under the work-stealing deques,
//! breaks Stacked Borrows and keeps its global garbage until the process
//! exits; neither is in this crate. The tests that spawn thousands of tasks
//! are skipped: under miri they outlast their hang guard.
//!
//! ```text
//! cargo +nightly miri test -p baton-executor --lib
//! MIRIFLAGS="-Zmiri-disable-isolation -Zmiri-tree-borrows -Zmiri-ignore-leaks" \
//!   cargo +nightly miri test -p baton-executor \
//!   --test spawn --test cancel --test panic --test local --test shutdown -- epoll --skip many
//! ```
//!
//! # Examples
//!
//! ```
//! # fn main() -> Result<(), baton_protocol::Error> {
//! use baton_executor::Runtime;
//!
//! // Any reactor: the executor knows it only through the protocol.
//! let reactor = baton_reactor_epoll::EpollReactor::new()?;
//! let rt = Runtime::builder().reactor(reactor).workers(2).build()?;
//! let sum = rt.block_on(async {
//!     let mut tasks = Vec::new();
//!     for i in 0..10u64 {
//!         tasks.push(baton_protocol::spawn(async move { i * i })?);
//!     }
//!     let mut sum = 0;
//!     for task in tasks {
//!         sum += task.await?;
//!     }
//!     Ok::<_, baton_protocol::Error>(sum)
//! })??;
//! assert_eq!(sum, 285);
//! # Ok(())
//! # }
//! ```

#![deny(unsafe_code)]

mod blocking;
mod context;
mod local;
mod metrics;
mod park;
mod rng;
mod runtime;
mod sync;
mod task;
mod trace;

#[cfg(all(test, loom))]
mod loom;

pub use crate::local::{LocalBuilder, LocalExecutor, spawn_local};
#[cfg(feature = "metrics")]
pub use crate::metrics::MetricsPublisher;
pub use crate::metrics::{Bucket, Histogram, Metrics, MetricsReader, WorkerMetrics};
pub use crate::runtime::{Builder, Runtime};
pub use crate::task::{JoinHandle, LostWaker};
// The dump model is the protocol's, shared by every backend.
#[doc(no_inline)]
pub use baton_protocol::dump::{Dump, TaskDump, TaskState};
