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
//!     let reactor = Arc::new(baton_host_tokio::TokioReactor::new()?);
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
//! # Design: two roads, the native one by default
//!
//! A host needs a reactor for the protocol's sources and timers. Two kinds
//! fit, and [`TokioHost`] takes either:
//!
//! - **The native road, [`TokioReactor`]** (the one to use): every source
//!   is registered with tokio's own reactor, as a tokio `AsyncFd`, so a
//!   protocol socket is woken by tokio's one `epoll_wait`, as a tokio
//!   socket is. reactor-kit's readiness table stays on top and keeps what
//!   tokio does not give: the [`Tick`](baton_protocol::reactor::Tick) of
//!   `clear_ready`, every waiter of a direction, end of stream for good,
//!   keys never reused, the protocol's errors. The table asks tokio for a
//!   direction's readiness when it finds the direction not ready, and
//!   clears tokio's readiness right there, with tokio's own tick, as it
//!   records an event with a new tick of its own: an event that lands
//!   after that is tokio's next one, never cleared by a stale `clear_ready`,
//!   the lost wake-up the suite looks for. A clear without a drain is
//!   rechecked with `poll(2)` at the next poll, as an epoll reactor
//!   re-arms. Timers stay in the kit's wheel, run by the host's turns.
//! - **The guest road**: baton's own reactor (`EpollReactor`,
//!   `UringReactor`, `PollReactor`'s epoll build, `Chaos` over any of them)
//!   runs *inside* tokio, as trio's guest mode runs trio inside asyncio:
//!   tokio watches the reactor's poller fd
//!   ([`Reactor::guest_fd`](baton_protocol::Reactor::guest_fd)) with
//!   `AsyncFd`, and when it turns readable the fd's waker runs one
//!   non-blocking `park` of the guest on the spot. It costs one more
//!   `epoll_wait` per turn (the guest's own, nested in tokio's).
//!
//! Either way, the turns are run by reactor-kit's `GuestTurns`: the fd's
//! waker runs them when tokio's I/O driver finds the fd readable (for the
//! native road, only an `unpark` makes it readable), and a driver task
//! keeps the nearest timer deadline with a tokio sleep (a turn already due
//! runs after the tasks queued, so a reactor that keeps something due
//! cannot starve them); it stops the host when the runtime drops it.
//! Protocol spawns are tokio tasks, whose semantics already are the
//! protocol's (Decision 2: a dropped `JoinHandle` detaches).
//!
//! A `TokioReactor` made outside a runtime joins the runtime of the host
//! started over it ([`Reactor::host_runtime`](baton_protocol::Reactor::host_runtime)).
//! Driven by hand (its `park` called with no host, as the suite's reactor
//! cases do), it runs a current-thread tokio runtime of its own and turns
//! that runtime's I/O driver in `park`. `VirtualTime` cannot be hosted on
//! either road (see below), nor can the poll(2) build.
//!
//! # What was measured
//!
//! The road was chosen by measurement: `tcp_echo` in `cargo xtask bench`
//! (BENCHMARKS.md, "Hosts"), baton's protocol-only echo server on this
//! host against the same server written natively on tokio, in one run
//! (`host-tokio-*` is the native road, `host-tokio-guest-*` the guest
//! road). With one connection and 64-byte messages, `strace -c` counts the
//! same syscalls per round trip on the native road as for native tokio (one
//! `recvfrom`, one `sendto`, one `epoll_wait`), where the guest road makes
//! a second `epoll_wait`; callgrind counts 3585 user-space instructions per
//! round trip on the current-thread runtime (guest road 4296, native tokio
//! 2274) and 4181 on the multi-thread one (native tokio 2867). A first
//! native version woke the polling task from its own poll when it consumed
//! tokio's readiness; tokio counts such a wake as a yield and wakes another
//! worker to steal the task (an eventfd write and a futex pair per round
//! trip, 1.76× native tokio's CPU on the multi-thread runtime): the table
//! now leaves the caller out of the wake-ups of a readiness it records for
//! the caller itself.
//!
//! Server CPU per round trip, host ÷ native tokio, medians of 25 repeats in
//! one run (2026-12-07): 0.97–1.09 on the current-thread runtime and
//! 0.91–1.09 on the multi-thread one, across 1, 16 and 256 connections of
//! 64-byte and 16 KiB messages. A 9-repeat run the same night put the
//! guest road at 0.93–1.26 and the native road at 0.92–1.19 (the 1.19, at
//! one connection, is within that run's noise).
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
//! `Chaos` wraps the hosted reactor unchanged, on both roads: faults are
//! injected in the protocol's I/O path and the turns the host runs (the
//! `chaos(tokio)` and `chaos(epoll)` conformance rows). `VirtualTime`
//! cannot: its clock may jump only when the executor says the whole
//! runtime is idle, and tokio tells a guest nothing of its run queues, so
//! `VirtualTime` has no guest fd and [`TokioHost::start`] refuses it with
//! `Error::Unsupported`.
//!
//! # Conformance
//!
//! `cargo xtask conformance` runs the whole suite on `tokio-ct`
//! (current-thread) and `tokio-mt4` (multi-thread, 4 workers), each over
//! the native reactor (`tokio`, and `chaos(tokio)`: `Chaos` over it) and
//! over the guest reactors `epoll`, `poll`, `chaos(epoll)` and, where the
//! kernel allows it, `uring` (the runner is `conformance/tests/hosts.rs`),
//! with 0 failures. The cases skipped on these columns, each with the
//! reason the report prints:
//!
//! | case | columns | why |
//! |------|---------|-----|
//! | `time.virtual_autojump`, `time.virtual_deterministic_trace`, `clock.now_moves_with_virtual_time` | all | need a virtual-time reactor, which a host cannot drive (see [baton-testing on tokio](#baton-testing-on-tokio)) |
//! | `fair.sleep_zero_yields_to_queued_work` | all | checks FIFO run order, which tokio does not promise |
//! | `blocking.queued_cancelled_at_shutdown` | all | fills a 64-thread blocking pool; tokio's is 512 threads wide |
//! | `task.cancel_while_running_elsewhere` | `tokio-ct` | needs several worker threads |
//! | `wake.concurrent_block_on_callers` | `tokio-ct` | needs `block_on` from several threads at once, which tokio's current-thread runtime serializes |
//! | `io.fresh_source_after_eof`, `io.idle_source_no_wake`, `rearm.*` (3 cases) | `chaos(..)` rows | count exact wake-ups; that reactor injects faults (as on baton's own executors) |
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
