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
