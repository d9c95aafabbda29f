//! smol as a host of the baton protocol: libraries written against
//! `baton-protocol` only run inside smol applications (async-executor +
//! async-io), unchanged.
//!
//! Use this when your application runs on smol and a library you use is
//! written against baton's protocol. Polled in a smol task without a host,
//! such code gets `Error::NoRuntime`; with one, it just works. See also
//! `baton-host-tokio` (the same for tokio) and `baton-executor` (baton's
//! own runtimes).
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use async_executor::Executor;
//!
//! // The library: baton-protocol only.
//! async fn greet_later(name: &str) -> Result<String, baton_protocol::Error> {
//!     baton_protocol::time::sleep(Duration::from_millis(5)).await?;
//!     let task = baton_protocol::spawn(async { 6 * 7 })?;
//!     Ok(format!("hello {name}, {}", task.await?))
//! }
//!
//! // The application: smol, with a host for the library.
//! let ex = Arc::new(Executor::new());
//! let reactor = Arc::new(baton_reactor_epoll::EpollReactor::new()?);
//! let host = baton_host_smol::SmolHost::start(&ex, reactor)?;
//! let greeting = host.block_on(&ex, greet_later("smol"))?;
//! assert_eq!(greeting, "hello smol, 42");
//! # Ok::<(), baton_protocol::Error>(())
//! ```
//!
//! # Entering the protocol
//!
//! - **Around a future**: [`SmolHost::run`] enters the host around each
//!   poll of one future, for code that does not own the executor.
//! - **For a whole executor**: every protocol spawn enters the host in its
//!   task; [`SmolHost::block_on`] enters it around `block_on(ex.run(..))`;
//!   [`SmolHost::enter_thread`] enters it on a thread for good (call it
//!   first on each thread that runs `ex.run`), so plain `ex.spawn`ed tasks
//!   find it too.
//!
//! Entering two hosts (or a host and a baton runtime) on one thread is
//! refused by `enter_thread` with [`Error::InvalidState`](baton_protocol::Error::InvalidState).
//! Protocol code polled where no host and no baton runtime is entered gets
//! [`Error::NoRuntime`](baton_protocol::Error::NoRuntime), as everywhere.
//!
//! # Design: the guest road
//!
//! As in `baton-host-tokio`: baton's own reactor runs inside smol, as
//! trio's guest mode runs inside asyncio. async-io's reactor watches the
//! reactor's poller fd ([`Reactor::guest_fd`](baton_protocol::Reactor::guest_fd))
//! with `Async`, polled with a waker of the host's own that runs one
//! non-blocking `park` when async-io finds the fd readable, so the
//! protocol tasks the turn wakes are woken by the thread running
//! async-io's reactor, as smol's own sockets' tasks are, with no host task
//! scheduled and polled in between. A driver task waits for the nearest
//! timer deadline ([`Reactor::guest_wait`](baton_protocol::Reactor::guest_wait))
//! with an async-io `Timer` and runs the turns it calls for. The reactor's
//! own tables decide what is ready and what is due, so its proven
//! contracts hold unchanged.
//!
//! The reactor must have a guest fd: `EpollReactor`, `UringReactor`,
//! `PollReactor` (epoll build), and `Chaos` over any of them do.
//!
//! # What was measured
//!
//! `tcp_echo` in `cargo xtask bench` (BENCHMARKS.md, "Hosts"): baton's
//! protocol-only echo server on this host against the same server written
//! natively on smol (`Async<TcpStream>`), in one run. Server CPU per round
//! trip, host ÷ native, before the turns moved into the fd's waker:
//! 0.73–1.00 from 16 connections up on both executors; with one
//! connection 0.91–1.05 on the one-thread executor and 1.51–1.95 on the
//! multi-thread one, where each round trip also crossed threads between
//! the driver task and the connection's task. The extra cost per turn is
//! one `epoll_wait` (the guest's own), as on tokio.
//!
//! With the turns in the fd's waker, the one-connection 64-byte echo
//! costs 5535 user-space instructions per round trip on the one-thread
//! executor (callgrind; 6320 before). On a loaded 2-core machine, ten
//! alternating runs of each server put its CPU per round trip on the
//! multi-thread executor at 1.05× native smol by medians (1.19× before,
//! in the same runs; 1.20× and 1.26× in an earlier set of eight), and left
//! the one-thread executor's unchanged (0.86×).
//!
//! # baton-testing on smol
//!
//! `Chaos` wraps the hosted reactor unchanged: faults are injected in the
//! turns the host runs (the `chaos(epoll)` conformance rows). `VirtualTime`
//! cannot: its clock may jump only when the executor says the whole
//! runtime is idle, and smol tells a guest nothing of its run queue, so
//! `VirtualTime` has no guest fd and [`SmolHost::start`] refuses it with
//! `Error::Unsupported`.
//!
//! # Decision 2 on smol
//!
//! smol's `Task` cancels its task when dropped; the protocol's
//! `JoinHandle` detaches. The host's join handle detaches smol's task when
//! dropped and cancels through a flag the task checks before each poll, so
//! `abort` and `cancel` keep the protocol's meaning (an aborted task is
//! never polled again, never at all if it had not started) and a panic
//! reaches the joiner as `Error::Panicked`.
//!
//! # Conformance
//!
//! `cargo xtask conformance` runs the whole suite on `smol-local` (the executor run by the `block_on` thread alone) and `smol-mt4` (4 worker threads), each over
//! the reactors `epoll`, `poll` and `chaos(epoll)` (the runner is
//! `conformance/tests/hosts.rs`), with 0 failures. The cases skipped on
//! these columns, each with the reason the report prints:
//!
//! | case | columns | why |
//! |------|---------|-----|
//! | `time.virtual_autojump`, `time.virtual_deterministic_trace` | all | need a virtual-time reactor, which a host cannot drive (see [the guest road](#design-the-guest-road)) |
//! | `fair.sleep_zero_yields_to_queued_work` | all | checks FIFO run order, which smol does not promise |
//! | `task.cancel_while_running_elsewhere` | the one-thread column | needs several worker threads |
//! | `io.fresh_source_after_eof`, `io.idle_source_no_wake`, `rearm.*` (3 cases) | `chaos(epoll)` rows | count exact wake-ups; that reactor injects faults (as on baton's own executors) |
//!
//! No case is weakened for the hosts: a host that broke a contract would
//! fail it.
//!
//! # Shutdown
//!
//! smol shuts down by dropping the executor: every task is dropped, the
//! driver task too, which shuts the reactor down: a protocol future still
//! waiting (outside the executor) gets
//! [`Error::Shutdown`](baton_protocol::Error::Shutdown), never a hang.

#![forbid(unsafe_code)]

mod blocking;
mod driver;
mod host;
mod task;

pub use crate::host::SmolHost;
pub use baton_reactor_kit::Hosted;
