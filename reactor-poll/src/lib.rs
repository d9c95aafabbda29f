//! A baton reactor on the polling crate: oneshot registrations, on epoll or
//! (built with `--cfg polling_test_poll_backend`) on poll(2).
//!
//! Use [`PollReactor`] where you want smol's poller under a baton runtime,
//! or, in its poll(2) build, to prove code does not depend on epoll. See
//! also `baton-reactor-epoll` (mio, edge-triggered), which passes the same
//! contract suite: code written against [`baton_protocol::Reactor`] cannot
//! tell them apart.
//!
//! # Examples
//!
//! Drive the reactor by hand: wait for a socket to become readable.
//!
//! ```
//! use std::io::Write;
//! use std::os::fd::AsRawFd;
//! use std::os::unix::net::UnixStream;
//! use std::task::{Context, Waker};
//! use std::time::Duration;
//!
//! use baton_protocol::{Direction, Interest, Reactor};
//! use baton_reactor_poll::PollReactor;
//!
//! let reactor = PollReactor::new()?;
//! let (a, mut b) = UnixStream::pair()?;
//! a.set_nonblocking(true)?;
//! let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
//!
//! let mut cx = Context::from_waker(Waker::noop());
//! assert!(reactor.poll_ready(key, Direction::Read, &mut cx).is_pending());
//! b.write_all(b"x")?;
//! let turn = reactor.park(Some(Duration::from_secs(5)), true)?;
//! assert_eq!(turn.events, 1);
//! assert!(reactor.poll_ready(key, Direction::Read, &mut cx).is_ready());
//! reactor.deregister(key)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How directions map to polling and the OS
//!
//! | protocol          | polling event       | on epoll (polling's flags, `EPOLLONESHOT`) | on poll(2) (`events`, removed after each report) |
//! |-------------------|---------------------|---------------------------------------------|--------------------------------------------------|
//! | [`Direction::Read`](baton_protocol::Direction::Read)   | `Event::readable`   | `EPOLLIN \| EPOLLPRI \| EPOLLHUP \| EPOLLERR` | `POLLIN \| POLLPRI`                          |
//! | [`Direction::Write`](baton_protocol::Direction::Write) | `Event::writable`   | `EPOLLOUT \| EPOLLHUP \| EPOLLERR`            | `POLLOUT \| POLLWRBAND`                      |
//! | both              | `Event::all`        | both of the above                           | both of the above                                |
//! | disarmed          | `Event::none`       | `EPOLLONESHOT` alone                        | `0`                                              |
//! | hang-up / error   | readable + writable | `EPOLLHUP`, `EPOLLERR`: **both** directions ready | `POLLHUP`, `POLLERR`: both ready |
//! | fd closed under the reactor | neither readable nor writable | (never reported: epoll forgets the file) | `POLLNVAL`: the source is closed, its waiters see `Error::Closed` |
//!
//! Only directions in the registration's interest are ever marked ready.
//! A reader of a hung-up socket sees end of file, a writer `EPIPE` or the
//! socket error. An fd closed without being deregistered (a breach of the
//! contract, Decision 7) is forgotten silently by epoll: its waiters wait
//! until a timeout or cancel ends their wait. poll(2) reports `POLLNVAL`
//! for it on every call, whatever it was asked for, so the first report
//! closes the source: once `fstat` confirms the number no longer names the
//! registered file, the fd leaves the poller (parks sleep again) and its
//! waiters wake with
//! [`Error::Closed`](baton_protocol::Error::Closed), as after
//! [`close`](baton_protocol::Reactor::close); the key stays until it is
//! deregistered.
//!
//! # Mode: oneshot, chosen by measurement
//!
//! Every event disarms the whole registration. The kit's readiness table
//! keeps armed exactly the directions of the interest that are not cached
//! ready: after an event it re-arms (`modify`) only if a direction is still
//! wanted, and an effective
//! [`clear_ready`](baton_protocol::Reactor::clear_ready) adds its direction
//! back, so data left buffered is reported again (no edge is awaited).
//!
//! Measured with a ping-pong of one-byte messages over a socketpair, both
//! ends in one reactor, 20 000 round trips (`strace -c` for the syscall
//! counts; times on a 2-core machine under load, several runs):
//!
//! | mode      | epoll: `epoll_ctl` per round trip | epoll: µs per round trip | poll(2): syscalls per round trip | poll(2): µs per round trip |
//! |-----------|-----------------------------------|--------------------------|----------------------------------|----------------------------|
//! | oneshot   | 6                                 | 13.2–14.9                | 14                               | 13.4–13.6                  |
//! | edge      | 6                                 | 13.3–16.5                | unsupported                      | —                          |
//! | level     | 8                                 | 13.6–17.2                | 20                               | 15.3–17.8                  |
//!
//! With a readiness cache, level-triggered needs a `modify` to silence each
//! direction that became ready, where oneshot silences it for free; edge
//! costs the same as oneshot on epoll but does not exist on poll(2). Oneshot
//! is therefore never worse, and it runs the same code on both backends.
//! (Four of the six `epoll_ctl` per round trip are polling's own: it re-arms
//! its timerfd and its eventfd around every wait. On poll(2) each `modify`
//! costs three syscalls: polling wakes its waiter through a pipe and a
//! condition variable.)
//!
//! # Timers
//!
//! The kit's [`Timers`](baton_reactor_kit::Timers): a hierarchical
//! timing wheel (7 levels of 64 slots, 1.05 ms ticks) in front of a small
//! heap that orders the timers about to fire by exact deadline. `insert`,
//! `cancel` and `reset` O(1), firing O(1) per slot passed plus O(log k) among
//! the k timers due together; one million pending timers take 48 MB and
//! insert + cancel costs about 40-55 ns at that size (the table's
//! documentation has the measurements). The nearest deadline, exact, is
//! handed to polling as a deadline; inserting an earlier one from another
//! thread during a park notifies the poller.
//!
//! # Resolution
//!
//! polling waits with nanosecond precision: a timerfd on epoll, `ppoll` on
//! poll(2). [`resolution`](baton_protocol::Reactor::resolution) advertises
//! **1 ms**. Measured (400 timers at random 0–5 ms deadlines, each awaited
//! with `park(None)`, 2-core machine with a load average of 1.6): lateness
//! on epoll p50 76 µs, p90 132 µs, p99 467 µs; on poll(2) p50 105 µs, p90
//! 148 µs, p99 515 µs. The maxima (2.8 ms and 3.6 ms) were preemptions by
//! the load, not the poller.
//!
//! # Unpark and `EINTR`
//!
//! `unpark` sets an atomic flag and, only if it was clear, calls
//! `Poller::notify`; the park that returns clears the flag. polling retries
//! `EINTR` itself with the same deadline, so a signal never surfaces as an
//! error (Decision 5) and never makes the park sleep past the nearest timer.
//!
//! # Bad input on poll(2)
//!
//! poll(2) accepts any fd number and reports regular files always ready.
//! To give the errors epoll gives, `register` first checks the fd with
//! `fstat`: a closed fd is [`Error::Io`](baton_protocol::Error::Io) with
//! `EBADF`, a regular file or directory is
//! [`Error::Unsupported`](baton_protocol::Error::Unsupported), on both
//! backends.
//!
//! # File descriptors and `unsafe`
//!
//! On epoll the reactor owns an epoll fd, an eventfd and a timerfd; on
//! poll(2) a pipe; all are closed when it is dropped (dropping also shuts it
//! down). The only `unsafe` code, polling's `add`, `BorrowedFd::borrow_raw`
//! and `fstat`, lives in one module with its invariants written down.

#![deny(unsafe_code)]

mod reactor;
mod sys;

pub use crate::reactor::PollReactor;
