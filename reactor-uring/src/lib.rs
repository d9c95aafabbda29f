//! A baton reactor on io_uring: multishot `POLL_ADD` readiness, one
//! `io_uring_enter` per park, and an opt-in completion mode for owned-buffer
//! reads and writes.
//!
//! Use [`UringReactor`] as the reactor of a baton runtime on Linux 5.13 or
//! later. It keeps the readiness contract of `baton-reactor-epoll` and
//! `baton-reactor-poll` (all three pass the same contract suite and the
//! conformance matrix), over a kernel interface of another kind: a poll is
//! armed once and reports every readiness without a re-arm syscall, and
//! the work a turn queues (new polls, re-checks) is submitted by the same
//! `io_uring_enter` that waits.
//!
//! # Examples
//!
//! Drive the reactor by hand: wait for a socket to become readable. A
//! kernel that refuses io_uring is an [`Error::Unsupported`], and the
//! fallback to epoll is one line.
//!
//! ```
//! use std::io::Write;
//! use std::os::fd::AsRawFd;
//! use std::os::unix::net::UnixStream;
//! use std::sync::Arc;
//! use std::task::{Context, Waker};
//! use std::time::Duration;
//!
//! use baton_protocol::{Direction, Error, Interest, Reactor};
//! use baton_reactor_epoll::EpollReactor;
//! use baton_reactor_uring::UringReactor;
//!
//! // io_uring where the kernel allows it, epoll otherwise.
//! let reactor: Arc<dyn Reactor> = match UringReactor::new() {
//!     Ok(uring) => Arc::new(uring),
//!     Err(Error::Unsupported(_)) => Arc::new(EpollReactor::new()?),
//!     Err(e) => return Err(e.into()),
//! };
//!
//! let (a, mut b) = UnixStream::pair()?;
//! a.set_nonblocking(true)?;
//! let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
//! let mut cx = Context::from_waker(Waker::noop());
//! assert!(reactor.poll_ready(key, Direction::Read, &mut cx).is_pending());
//! b.write_all(b"x")?;
//! while reactor.poll_ready(key, Direction::Read, &mut cx).is_pending() {
//!     reactor.park(Some(Duration::from_secs(5)), true)?;
//! }
//! reactor.deregister(key)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How directions map to poll events
//!
//! | protocol                | polled for                          | reported as                               |
//! |-------------------------|-------------------------------------|-------------------------------------------|
//! | [`Direction::Read`](baton_protocol::Direction::Read) | `POLLIN \| POLLPRI \| POLLRDHUP` | `POLLIN`, `POLLPRI`; `POLLRDHUP` (peer shut its write side: end of file) |
//! | [`Direction::Write`](baton_protocol::Direction::Write) | `POLLOUT`                  | `POLLOUT`                                 |
//! | hang-up / error         | always reported                     | `POLLHUP`, `POLLERR`: **both** directions ready, as on epoll |
//!
//! One multishot poll per source carries its whole interest; its
//! completions carry the source's key.
//!
//! # Mode: multishot, with a probe on `clear_ready`
//!
//! A multishot `POLL_ADD` (5.13) stays armed and posts a completion on
//! every wake-up of the file that matches its events, as an edge-triggered
//! epoll reports every edge: the kit's readiness table runs it in
//! [`Mode::Edge`](baton_reactor_kit::Mode::Edge). Nothing is re-armed per
//! readiness, and [`clear_drained`](baton_protocol::Reactor::clear_drained)
//! (a `WouldBlock` from the OS) costs nothing.
//!
//! A wake-up only comes with new data, so a caller that clears readiness
//! while data is still buffered would wait for ever. To rule that out, an
//! effective [`clear_ready`](baton_protocol::Reactor::clear_ready) queues a
//! *probe*: a oneshot `POLL_ADD` of the same events, which the kernel
//! completes at once if the fd is still ready (or at its next readiness).
//! Where epoll pays an `EPOLL_CTL_MOD` syscall, the probe is one queued
//! entry, submitted by the next park's enter. At most one probe per source
//! is in flight. [`reregister`](baton_protocol::Reactor::reregister)
//! replaces the multishot poll (`POLL_REMOVE` and a new `POLL_ADD`, which
//! re-checks by itself).
//!
//! The kernel ends a multishot poll on its own when its completion queue
//! overflows, and cancels the polls a thread submitted when that thread
//! exits; a completion without `IORING_CQE_F_MORE` for a source still
//! registered re-arms it.
//!
//! # One enter per park
//!
//! Registrations and probes are queued, not submitted: a park submits
//! everything queued and waits for the first completion in one
//! `io_uring_enter`, with the nearest timer deadline as the enter's
//! timeout argument (`IORING_ENTER_EXT_ARG`, 5.11; no timeout entry, so no
//! completion to reap for it). A non-blocking park with nothing queued
//! makes no syscall at all: completions are in shared memory. Two kinds of
//! entry are submitted at once by the thread that queues them: any entry
//! queued while another thread is blocked in a park (the park would not
//! see it), and the `POLL_REMOVE` of `deregister` (a poll holds a
//! reference to its file: a socket closed after `deregister` stays open,
//! unseen by its peer, until its poll is removed).
//!
//! # Unpark
//!
//! `unpark` sets an atomic flag and, only if it was clear, submits a `NOP`
//! from the calling thread: its completion ends the park's wait. Repeated
//! unparks before a park cost one syscall; an unpark before a park makes
//! that park return at once.
//!
//! Measured against the two other ways (200 000 cross-thread wake-ups of a
//! thread blocked in `io_uring_enter`, three rounds, release build, 2-core
//! machine under a load average of 5 to 7): an eventfd write with a
//! multishot `POLL_ADD` kept on the eventfd took 15.3–16.6 µs per notifying
//! call and 3.4–3.7 µs of the waiter's CPU; `IORING_OP_MSG_RING` from the
//! notifier's own ring 15.0–17.2 µs and 3.5–5.0 µs; the `NOP` on the shared
//! ring 15.1–15.3 µs and 3.4–3.7 µs. The wake-up of the sleeping thread
//! dominates all three, and they are within noise of each other. The `NOP`
//! needs no second fd, no ring per notifying thread and no poll (whose
//! wake-up runs as task work on the thread that submitted it), so it is
//! the one kept.
//!
//! # The ring
//!
//! 256 submission entries by default, 8 times as many completion entries
//! ([`Builder::entries`]). A full submission queue is handed to the kernel
//! and refilled (a small ring costs syscalls, not correctness); a
//! completion queue that overflows is kept by the kernel
//! (`IORING_FEAT_NODROP`) and an enter that meets it (`EBUSY`) reaps first.
//! A `POLL_REMOVE` or re-arm that finds both queues full waits in a backlog
//! for the next park.
//!
//! # Bad input
//!
//! The same errors as every other reactor: a negative fd, double
//! registration ([`Error::AlreadyRegistered`]), unknown keys
//! ([`Error::NotRegistered`]) and extreme durations are the kit's; a closed
//! fd is [`Error::Io`] with `EBADF` and a regular file or directory
//! [`Error::Unsupported`], both from an `fstat` before the poll is queued
//! (io_uring would poll a regular file as always ready, and a closed fd
//! would fail only later, in its completion).
//!
//! # When the kernel refuses
//!
//! [`UringReactor::new`] returns [`Error::Unsupported`] when
//! `io_uring_setup` fails with `ENOSYS` (too old), `EPERM` or `EACCES`
//! (`kernel.io_uring_disabled`, a seccomp filter), and when the
//! `io_uring_register_probe` answer or the ring's feature bits lack
//! `POLL_ADD`, `POLL_REMOVE`, `NOP`, the enter timeout or multishot polls.
//! `IOSQE_CQE_SKIP_SUCCESS` (5.17) is used when present; without it, the
//! removes' completions are reaped and ignored.
//!
//! # Resolution
//!
//! The enter's timeout is in nanoseconds and never early;
//! [`resolution`](baton_protocol::Reactor::resolution) advertises **1 ms**
//! (the kernel's timer slack and the wake-up latency).
//!
//! # Costs
//!
//! Syscalls per round trip of the benchmark's echo server (`perf stat -e
//! raw_syscalls:sys_enter,...` on the server, 64-byte messages, `baton-bench
//! load` for 2 s; BENCHMARKS.md has the command), against
//! baton-reactor-epoll on the same executor:
//!
//! | server                  | 16 connections | 256 connections |
//! |-------------------------|----------------|-----------------|
//! | uring, `LocalExecutor`  | 2.12 (recv 1.00, send 1.00, enter 0.12) | 2.07 (enter 0.03) |
//! | epoll, `LocalExecutor`  | 2.14 (recv 1.00, send 1.00, epoll_wait 0.13) | 2.09 (epoll_wait 0.04, epoll_ctl 0.01) |
//! | uring, `Runtime` (2 workers) | 3.00 (enter 0.31, futex 0.69) | 2.59 (enter 0.18, futex 0.38) |
//! | epoll, `Runtime` (2 workers) | 2.35 (epoll_wait 0.24, futex 0.10) | 2.28 (epoll_wait 0.21, futex 0.02) |
//!
//! On one thread the two reactors make the same syscalls: `recv` and `send`
//! per round trip, and one wait per many round trips; epoll's re-arm is
//! already skipped after a read that drained the socket. Under the
//! multi-thread `Runtime` io_uring costs more: a poll's wake-up runs as
//! task work on the thread that *submitted* it, which may be a worker
//! asleep on its futex, woken only to post the completion for the parked
//! worker. The readiness mode therefore serves the single-thread executor
//! best; completion I/O (below) removes the `recv` and `send`.
//!
//! # Completion I/O (experimental, opt-in)
//!
//! io_uring can also do the I/O itself, so that a round trip of an echo
//! server is part of one `io_uring_enter` instead of a `recv`, a `send` and
//! an enter. Built with [`Builder::completion`]`(true)`, the reactor offers
//! the protocol's optional
//! [`Completion`](baton_protocol::completion::Completion) capability
//! through [`Reactor::completion`](baton_protocol::Reactor::completion),
//! and the protocol's owned-buffer operations
//! ([`Async::read_owned`](baton_protocol::io::Async::read_owned),
//! [`write_owned`](baton_protocol::io::Async::write_owned), and the same on
//! `TcpStream` and `UnixStream`) are submitted to the ring: `RECV` and
//! `SEND` (`MSG_NOSIGNAL`) on sockets, `READ` and `WRITE` at the file
//! position elsewhere. Every other reactor, and this one in its default
//! readiness mode, runs the same calls by readiness (a wait, then a normal
//! read or write into the owned buffer), so code written against them is
//! portable. Everything else (readiness, timers, unpark) is unchanged in
//! completion mode.
//!
//! - **Owned buffers.** An operation takes its buffer by value (any
//!   `AsRef<[u8]> + AsMut<[u8]> + Send + 'static` type,
//!   [`OwnedBuf`](baton_protocol::completion::OwnedBuf)) and gives it back
//!   with the result, as compio's `BufResult` and tokio-uring's
//!   `(result, buf)`; [`Slice`](baton_protocol::completion::Slice) writes
//!   a range of one (what a read returned, the rest of a short write).
//! - **Who holds the buffer.** From submission until its completion is
//!   reaped the buffer is leaked from its box into the reactor's operation
//!   table (the only place the kernel's pointer comes from); the park that
//!   reaps the completion stores the result and wakes the future, which
//!   takes the buffer back. A completion counts as an event of its
//!   [`Turn`](baton_protocol::reactor::Turn), so virtual time never
//!   mistakes such a turn for an idle one.
//! - **Cancellation on drop.** A future dropped with its operation in
//!   flight queues an `IORING_OP_ASYNC_CANCEL` for it; the buffer stays in
//!   the table until the operation's own completion (`ECANCELED`, or the
//!   bytes it moved after all) is reaped, and is dropped then, exactly
//!   once. A ring dropped with operations in flight leaks their buffers
//!   rather than free memory the kernel may still write.
//! - **Decorators.** `VirtualTime` forwards the capability; `Chaos` hides
//!   it, so that its injected faults (which live on the readiness path)
//!   still apply. The conformance matrix runs the `uring-c` column (and
//!   `vt(uring-c)`, `chaos(uring-c)`) with the `io.owned_*` cases.
//! - **Limits.** Only reads and writes are built (accept, connect,
//!   `sendmsg`, `recvmsg` stay on readiness). The source's multishot poll
//!   stays armed, so readiness keeps working beside the operations (a
//!   measurement that skipped it for stream sockets saved nothing
//!   visible). An operation's internal poll belongs to the submitting
//!   thread: one submitted by a thread that then exits completes with
//!   `ECANCELED`. [`shutdown`](baton_protocol::Reactor::shutdown) does not
//!   end operations in flight: their futures end when they are dropped
//!   (with their runtime's tasks), which cancels them.
//!
//! ## Measured
//!
//! The benchmark's echo server written with the owned-buffer API
//! (`bench/src/rt/baton.rs`, `echo_owned`; 64 KiB buffer, `LocalExecutor`)
//! on this reactor in completion mode (`baton-uring-completion-local`),
//! in readiness mode (`baton-uring-owned-local`), and on epoll
//! (`baton-epoll-owned-local`); `baton-uring-local` is the ordinary
//! borrowed-buffer echo on the readiness mode. Server CPU per round trip,
//! 64-byte messages, median (min–max) of the repeats; a 2-core machine
//! shared with other builds (load average 3 to 7), so single figures move
//! by ±15 %:
//!
//! | server | 16 connections | 256 connections | syscalls per round trip (16 / 256) |
//! |---|---:|---:|---:|
//! | run A (`cargo xtask bench`), completion | 9594 (7780–11179) ns | 9136 (7843–10900) ns | |
//! | run A, readiness, owned | 11064 (8794–13153) ns | 10935 (8044–13519) ns | |
//! | run A, readiness, borrowed | 10978 (8114–13253) ns | 10979 (8301–11546) ns | |
//! | run A, epoll, owned | 8449 (8268–10158) ns | 8534 (8176–9329) ns | |
//! | run B (`perf stat`), completion | 8496 (8250–9048) ns | 8745 (8089–9674) ns | 0.40 / 0.25 |
//! | run B, readiness, owned | 9126 (8873–10639) ns | 9875 (9065–11583) ns | 2.13 / 2.04 |
//! | run B, readiness, borrowed | 9705 (9096–9812) ns | 9679 (8791–12144) ns | 2.13 / 2.05 |
//! | run B, epoll, owned | 9162 (8865–10321) ns | 8878 (8686–9298) ns | 2.18 / 2.08 |
//! | run C (`perf stat`), completion | 10492 (10068–11942) ns | 9727 (5796–12261) ns | 0.41 / 0.21 |
//! | run C, readiness, owned | 12324 (11487–14805) ns | 13675 (10767–15715) ns | 2.08 / 2.03 |
//! | run C, readiness, borrowed | 12048 (11177–13529) ns | 14012 (12148–15168) ns | 2.07 / 2.03 |
//! | run C, epoll, owned | 10512 (8369–12481) ns | 10862 (8940–11945) ns | 2.26 / 2.16 |
//! | run D (`perf stat`, 8 repeats), completion | 8494 (7972–9967) ns | 8260 (7930–11044) ns | 0.40 / 0.26 |
//! | run D, readiness, owned | 10275 (8838–13786) ns | 9479 (8858–12478) ns | 2.10 / 2.06 |
//! | run D, readiness, borrowed | 9049 (8713–11571) ns | 10885 (9030–12890) ns | 2.15 / 2.04 |
//!
//! Completion mode against the readiness mode with the same owned-buffer
//! echo, per run: at 16 connections −13 % (A), −7 % (B), −15 % (C), −17 % (D), median −14 %; at 256
//! connections −17 %, −11 %, −29 %, −13 %, median −15 % (a first suite
//! run, made while this branch was compiling, gave −24 % and −7 %). Against the borrowed-buffer echo on the
//! readiness mode: −13 %, −13 %, −13 %, −6 % at 16
//! connections and −17 %, −10 %, −31 %, −24 % at 256. The syscall count is the one figure
//! the noise does not touch: 0.2–0.4 per round trip (the enters) instead
//! of 2.0–2.1 (`recv` and `send`). What it does not win: one connection
//! against the borrowed-buffer echo (run A, 1×64: 13292 ns against 11579
//! ns; the owned readiness echo took 14671 ns: an enter per round trip
//! either way, plus the operation's bookkeeping), 16 KiB messages against
//! the borrowed-buffer echo (the copies dominate: run A, 256×16384, 10769
//! ns against 10787 ns; owned readiness 13165 ns), and epoll, which was
//! below it in run A at both sizes, level in run C at 16 connections and
//! above it in runs B and C otherwise.
//!
//! **Decision**: kept, as an experimental opt-in (off by default). The
//! issue's rule (server CPU per round trip at least 10 % below this
//! reactor's readiness mode at 16 and 256 connections) is met on the
//! median of the four runs at both sizes (−14 %, −15 %), and in seven of
//! the eight per-run figures; not in every run, on a machine this noisy.
//! The readiness mode stays the default: it serves every API at once,
//! and completion mode's advantage does not hold against epoll in every
//! run (run A).
//!
//! Commands (five repeats, interleaved):
//!
//! ```sh
//! # run A: the suite's server CPU per round trip
//! cargo xtask bench --filter tcp_echo --repeats 5 --runtimes \
//!   baton-uring-completion-local,baton-uring-owned-local,baton-epoll-owned-local,baton-uring-local
//! # runs B, C, D: perf stat on the server while `baton-bench load` drives it
//! target/release/baton-bench serve baton-uring-completion-local   # prints `listening ADDR`
//! perf stat -x, -p $PID -e task-clock,raw_syscalls:sys_enter &
//! target/release/baton-bench load --addr ADDR --conns 16 --size 64 --warmup-ms 0 --ms 2000 \
//!   --server-pid $PID   # task-clock and syscalls divided by its round_trips
//! ```
//!
//! # File descriptors
//!
//! The reactor owns one fd, the ring's, close-on-exec, closed when it is
//! dropped (dropping also shuts it down, waking every waiter with
//! [`Error::Shutdown`](baton_protocol::Error::Shutdown)). That fd is the
//! [`guest_fd`](baton_protocol::Reactor::guest_fd) a host loop (tokio,
//! smol) watches: it polls readable while a completion waits to be reaped.
//! Between [`guest_wait`](baton_protocol::Reactor::guest_wait) and the next
//! park the host waits in the park's place, so what is queued is submitted
//! at once then.
//!
//! [`Error::Unsupported`]: baton_protocol::Error::Unsupported
//! [`Error::AlreadyRegistered`]: baton_protocol::Error::AlreadyRegistered
//! [`Error::NotRegistered`]: baton_protocol::Error::NotRegistered
//! [`Error::Io`]: baton_protocol::Error::Io

#![deny(unsafe_code)]

mod reactor;
mod sys;

pub use crate::reactor::{Builder, UringReactor};
