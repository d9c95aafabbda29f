//! A baton reactor on io_uring: multishot `POLL_ADD` readiness, one
//! `io_uring_enter` per park.
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
//! best; completion I/O (below) is what would remove the `recv` and `send`.
//!
//! # Completion I/O: designed, not built
//!
//! io_uring can also do the I/O itself (`IORING_OP_RECV`, `SEND`, `ACCEPT`,
//! `CONNECT`, `SENDMSG`, `RECVMSG`), so that a round trip of an echo server
//! is one `io_uring_enter` instead of a `recv`, a `send` and an enter. This
//! reactor does not do it yet; the design, kept for when it is measured:
//!
//! - **An optional protocol capability.** A method on
//!   [`Reactor`](baton_protocol::Reactor) with a default, say
//!   `completion(&self) -> Option<&dyn Completion>`, `None` on every other
//!   reactor. `Completion` submits an operation on a registered source with
//!   an *owned* buffer (`Vec<u8>`, or a `Box<[u8]>` the caller hands over)
//!   and returns a handle the leaf future polls; the result comes back with
//!   the buffer, as compio's `BufResult(io::Result<usize>, B)` and
//!   tokio-uring's `(result, buf)`.
//! - **The leaf futures choose.** `TcpStream`'s reads and writes take the
//!   completion path when the reactor offers it and the caller's buffer can
//!   be swapped for an owned one (an internal buffer the stream keeps,
//!   copied from and to the caller's `&mut [u8]`: `futures_io::AsyncRead`
//!   lends a buffer only for one poll); otherwise the readiness path,
//!   unchanged. Fault injection (`Reactor::io_fault`) applies before
//!   submission, as today.
//! - **Cancellation on drop.** A dropped future cannot take its buffer
//!   back while the kernel may still write to it: the reactor owns every
//!   buffer in flight (in the operation's slot), submits
//!   `IORING_OP_ASYNC_CANCEL` for it, and frees the buffer only when the
//!   operation's completion (or the cancel's `ECANCELED`) is reaped. A ring
//!   dropped with operations in flight leaks their buffers rather than free
//!   memory the kernel may still write.
//! - **Keep only if it wins**: echo server CPU per round trip at least 10 %
//!   below this reactor's readiness mode at 16 and 256 connections. The
//!   readiness mode already makes no syscall on a clear and none per
//!   readiness, so the saving is the `recv` and `send` per round trip
//!   against a copy per operation, an entry and a completion.
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
