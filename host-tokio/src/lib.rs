//! tokio as a host of the baton protocol: libraries written against
//! `baton-protocol` only run inside tokio applications, unchanged.
//!
//! Use this when your application runs on tokio and a library you use is
//! written against baton's protocol (its `sleep`, `timeout`, `spawn`,
//! `TaskGroup`, `Async<T>` and `net` types). Polled in a tokio task without
//! a host, such code gets `Error::NoRuntime`; with one, it just works. See
//! also `baton-host-smol` (the same for smol) and `baton-executor` (baton's
//! own runtimes).
//!
//! # Examples
//!
//! A `#[tokio::main]` program calling a library function that knows only
//! the protocol:
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! // The library: baton-protocol only.
//! async fn greet_later(name: &str) -> Result<String, baton_protocol::Error> {
//!     baton_protocol::time::sleep(Duration::from_millis(5)).await?;
//!     let task = baton_protocol::spawn(async { 6 * 7 })?;
//!     Ok(format!("hello {name}, {}", task.await?))
//! }
//!
//! // The application: tokio, with a host for the library.
//! #[tokio::main]
//! async fn main() -> Result<(), baton_protocol::Error> {
//!     let reactor = Arc::new(baton_reactor_epoll::EpollReactor::new()?);
//!     let host = baton_host_tokio::TokioHost::start(reactor)?;
//!     let greeting = host.run(greet_later("tokio")).await?;
//!     assert_eq!(greeting, "hello tokio, 42");
//!     Ok(())
//! }
//! ```
//!
//! # Entering the protocol
//!
//! - **Around a future**: [`TokioHost::run`] enters the host around each
//!   poll of one future, for code that does not own the runtime.
//! - **For a whole runtime**: every protocol spawn enters the host in its
//!   task; [`TokioHost::block_on`] enters it around `block_on`;
//!   [`TokioHost::on_thread_start`] (for `Builder::on_thread_start`, once
//!   the host exists) or [`TokioHost::enter_thread`] enter it on every
//!   thread, so plain `tokio::spawn`ed tasks find it too.
//!
//! Entering two hosts (or a host and a baton runtime) on one thread is
//! refused by `enter_thread` with [`Error::InvalidState`](baton_protocol::Error::InvalidState).
//! Protocol code polled where no host and no baton runtime is entered gets
//! [`Error::NoRuntime`](baton_protocol::Error::NoRuntime), as everywhere.
//!
//! # Design: the guest road
//!
//! The host runs baton's own reactor *inside* tokio, as trio's guest mode
//! runs trio inside asyncio: tokio watches the reactor's poller fd
//! ([`Reactor::guest_fd`](baton_protocol::Reactor::guest_fd)) with
//! `AsyncFd`, and a driver task watches the nearest timer deadline
//! ([`Reactor::guest_wait`](baton_protocol::Reactor::guest_wait)) with a
//! tokio sleep; when either fires, one non-blocking `park` runs. The
//! reactor's tables decide what is ready and what is due, so every reactor
//! contract (never-early timers in insertion order, `clear_ready`'s tick, no
//! lost wake-up, unpark from any thread) is the reactor's own, already
//! proven by the conformance suite; tokio only decides *when* to look.
//! Protocol spawns are tokio tasks, whose semantics already are the
//! protocol's (Decision 2: a dropped `JoinHandle` detaches).
//!
//! The fd is polled with a waker of the host's own, not a task's: when
//! tokio's I/O driver finds the fd readable it calls that waker, which runs
//! the turn on the spot, so the protocol tasks the turn wakes are woken by
//! the I/O driver, as tokio's own sockets' tasks are (into the same
//! worker's queue), with no host task scheduled and polled in between. One
//! thread runs turns at a time; a wake arriving meanwhile makes it look at
//! the fd's readiness again before it lets go. The driver task runs only
//! the turns the timers ask for (a turn already due runs after the tasks
//! queued, so a reactor that keeps something due cannot starve them), and
//! stops the host when the runtime drops it.
//!
//! The reactor must have a guest fd: `EpollReactor`, `UringReactor`,
//! `PollReactor` (epoll build), and `Chaos` over any of them do; `VirtualTime` does not (its clock
//! jumps only when the executor says the runtime is idle, and tokio does
//! not tell), nor does the poll(2) build.
//!
//! # What was measured
//!
//! The road was chosen by measurement: `tcp_echo` in `cargo xtask bench`
//! (BENCHMARKS.md, "Hosts"), baton's protocol-only echo server on this
//! host against the same server written natively on tokio, in one run.
//! Server CPU per round trip, host ÷ native, before the turns moved into
//! the fd's waker: 0.80–1.05 on the current-thread runtime from 16
//! connections up, 0.94–1.15 on the multi-thread runtime from 16
//! connections up, 1.14–1.34 with one connection. `strace -c` of the
//! one-connection echo shows why: the same reads and writes as native
//! tokio and one more `epoll_wait` per turn (the guest's own, after
//! tokio's reports the guest fd), which a turn spreads over every source it
//! finds ready. The native road would save that syscall but re-implement
//! what the suite proves of baton's reactors (the `clear_ready` tick, the
//! decorators); the guest road keeps them.
//!
//! Running the turn in the fd's waker (instead of a driver task woken by
//! it) and skipping the timers' nearest-deadline search in a non-blocking
//! park cut the server's user-space instructions per one-connection
//! 64-byte round trip (callgrind) from 4725 to 4249 on the current-thread
//! runtime and from 5299 to 4871 on the multi-thread one (native tokio:
//! 2357 and 2985); the syscalls per round trip are unchanged (one
//! `recvfrom`, one `sendto`, two `epoll_wait`, against native tokio's one
//! `epoll_wait`). Measured after it on a quiet machine (9 repeats, server
//! CPU per round trip, host ÷ native): 1.01–1.17 on the current-thread
//! runtime and 0.91–1.17 on the multi-thread one, the one-connection
//! sizes at the top of both ranges; `perf` puts most of that gap in the
//! kernel's side of the guest's `epoll_wait` (the guest fd is an epoll fd
//! nested in tokio's), which this road keeps. BENCHMARKS.md ("Hosts") has
//! the tables, and a short check of `UringReactor` as the guest.
//!
//! Timers are never early (the reactor's table decides what fires), but
//! they come when tokio's timer wakes the driver, which counts whole
//! milliseconds: the `timers` workload (`bench --quick`) measured a median
//! lateness of 0.71 ms here, against 0.02 ms on the smol host (async-io
//! times with a timerfd). Conformance's lateness bound
//! (`time.bounded_lateness_idle`) holds on both.
//!
//! # baton-testing on tokio
//!
//! `Chaos` wraps the hosted reactor unchanged: faults are injected in the
//! turns the host runs (the `chaos(epoll)` conformance rows). `VirtualTime`
//! cannot: its clock may jump only when the executor says the whole
//! runtime is idle, and tokio tells a guest nothing of its run queues, so
//! `VirtualTime` has no guest fd and [`TokioHost::start`] refuses it with
//! `Error::Unsupported`.
//!
//! # Conformance
//!
//! `cargo xtask conformance` runs the whole suite on `tokio-ct` (current-thread) and `tokio-mt4` (multi-thread, 4 workers), each over
//! the reactors `epoll`, `poll` and `chaos(epoll)` (the runner is
//! `conformance/tests/hosts.rs`), with 0 failures. The cases skipped on
//! these columns, each with the reason the report prints:
//!
//! | case | columns | why |
//! |------|---------|-----|
//! | `time.virtual_autojump`, `time.virtual_deterministic_trace` | all | need a virtual-time reactor, which a host cannot drive (see [the guest road](#design-the-guest-road)) |
//! | `fair.sleep_zero_yields_to_queued_work` | all | checks FIFO run order, which tokio does not promise |
//! | `task.cancel_while_running_elsewhere` | the one-thread column | needs several worker threads |
//! | `wake.concurrent_block_on_callers` | `tokio-ct` | needs `block_on` from several threads at once, which tokio's current-thread runtime serializes |
//! | `io.fresh_source_after_eof`, `io.idle_source_no_wake`, `rearm.*` (3 cases) | `chaos(epoll)` rows | count exact wake-ups; that reactor injects faults (as on baton's own executors) |
//!
//! No case is weakened for the hosts: a host that broke a contract would
//! fail it.
//!
//! # Shutdown
//!
//! When the runtime shuts down it drops the driver task, which shuts the
//! reactor down: a protocol future still waiting gets
//! [`Error::Shutdown`](baton_protocol::Error::Shutdown), never a hang; later
//! spawns fail with it.

#![deny(unsafe_op_in_unsafe_fn)]

mod blocking;
mod driver;
mod host;
mod native;
mod task;

pub use crate::host::TokioHost;
pub use crate::native::TokioReactor;
pub use baton_reactor_kit::Hosted;
