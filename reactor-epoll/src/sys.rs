//! The mio glue: everything [`EpollReactor`](crate::EpollReactor) asks of
//! the OS, and nothing else: the [`Os`] of the kit's
//! [`Driver`](baton_reactor_kit::Driver).
//!
//! This module must provide:
//!
//! - [`Registry`]: the [`Registrar`] of the readiness table: add an fd
//!   edge-triggered, re-arm it (`EPOLL_CTL_MOD`), delete it; with epoll's
//!   errors mapped to the protocol's (`EPERM` on a regular file or directory
//!   to [`Error::Unsupported`], `EEXIST` to [`Error::AlreadyRegistered`],
//!   `EBADF` kept as [`Error::Io`]); tell whether an fd number still names
//!   the file registered under it; and hold the eventfd (`mio::Waker`) that
//!   ends a wait from any thread.
//! - [`Waiter`]: one `epoll_wait` until a deadline (mio rounds the timeout
//!   *up* to the next millisecond), and the events it collected as
//!   `(SourceKey, Readiness)` pairs, the wake-up source's own event left out.
//!
//! The flag that coalesces unparks, the timers, the readiness table and the
//! park loop stay above this line, in the driver.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use baton_protocol::reactor::SourceKey;
use baton_protocol::{Error, Interest};
use baton_reactor_kit::{Mode, Os, Readiness, Registrar, Sources};
use mio::unix::SourceFd;
use mio::{Events, Token};

// Keys are 64 bits (slot and generation) and travel as mio tokens.
const _: () = assert!(usize::BITS >= 64, "baton-reactor-epoll needs 64-bit tokens");

/// The token of the reactor's own wake-up eventfd: a key the readiness table
/// never hands out.
const UNPARK: Token = Token(Sources::<Registry>::RESERVED_KEY.into_raw() as usize);

/// How many events one wait collects at most; more stay queued in the
/// kernel for the next turn.
const EVENTS: usize = 1024;

fn token(key: SourceKey) -> Token {
    // Lossless: `usize` is 64 bits (checked above).
    Token(key.into_raw() as usize)
}

/// mio's interest: `READABLE` is `EPOLLIN | EPOLLRDHUP`, `WRITABLE` is
/// `EPOLLOUT`; mio adds `EPOLLET` to both.
fn interest(interest: Interest) -> mio::Interest {
    match (
        interest.contains(baton_protocol::Direction::Read),
        interest.contains(baton_protocol::Direction::Write),
    ) {
        (true, false) => mio::Interest::READABLE,
        (false, true) => mio::Interest::WRITABLE,
        _ => mio::Interest::READABLE | mio::Interest::WRITABLE,
    }
}

/// The mio glue, as the kit's driver asks for it.
#[derive(Debug)]
pub(crate) enum Mio {}

impl Os for Mio {
    type Registrar = Registry;
    type Waiter = Waiter;

    const MODE: Mode = Mode::Edge;
    /// epoll_wait counts whole milliseconds (mio rounds up), and the kernel
    /// adds its timer slack (50 µs) and the wake-up latency (measured
    /// lateness in the crate documentation).
    const RESOLUTION: Duration = Duration::from_millis(2);

    fn open() -> io::Result<(Registry, Waiter)> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let unparker = mio::Waker::new(poll.registry(), UNPARK)?;
        Ok((
            Registry { registry, unparker },
            Waiter {
                poll,
                events: Events::with_capacity(EVENTS),
            },
        ))
    }

    fn wait(_: &Registry, waiter: &mut Waiter, deadline: Option<Instant>) -> io::Result<()> {
        // `EINTR` comes back as an error of kind `Interrupted`: the driver
        // makes it an empty turn.
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        waiter.poll.poll(&mut waiter.events, timeout)
    }

    fn events(waiter: &Waiter) -> impl Iterator<Item = (SourceKey, Readiness)> + '_ {
        waiter
            .events
            .iter()
            .filter(|event| event.token() != UNPARK)
            .map(|event| {
                let read_closed = event.is_read_closed();
                let write_closed = event.is_write_closed();
                (
                    // Lossless: tokens are made from 64-bit keys.
                    SourceKey::from_raw(event.token().0 as u64),
                    Readiness {
                        readable: event.is_readable() || read_closed,
                        writable: event.is_writable() || write_closed,
                        hangup: event.is_error() || (read_closed && write_closed),
                        read_closed,
                        // epoll forgets a closed file by itself.
                        invalid: false,
                    },
                )
            })
    }

    fn notify(registry: &Registry) {
        // An eventfd write cannot fail short of the fd being closed (mio
        // resets the counter before it would overflow), so the result is not
        // worth reporting.
        let _ = registry.unparker.wake();
    }

    /// The epoll fd (mio's registry holds a duplicate of the poll's): it
    /// polls readable while an event is queued, the eventfd's included, so
    /// a host loop can watch it ([`Reactor::guest_fd`](baton_protocol::Reactor::guest_fd)).
    fn guest_fd(registry: &Registry) -> Option<BorrowedFd<'_>> {
        Some(registry.registry.as_fd())
    }
}

/// The epoll registration half, shared by every thread, with the eventfd
/// that ends a wait.
#[derive(Debug)]
pub(crate) struct Registry {
    registry: mio::Registry,
    unparker: mio::Waker,
}

impl Registrar for Registry {
    type Source = ();

    fn add(&self, fd: RawFd, key: SourceKey, dirs: Interest) -> Result<(), Error> {
        self.registry
            .register(&mut SourceFd(&fd), token(key), interest(dirs))
            .map_err(|e| match e.kind() {
                // epoll_ctl's EPERM: "the target file does not support
                // epoll" (regular files, directories): Decision 4.
                io::ErrorKind::PermissionDenied => {
                    Error::Unsupported("regular files and directories cannot be registered")
                }
                io::ErrorKind::AlreadyExists => Error::AlreadyRegistered,
                _ => Error::Io(e),
            })
    }

    fn arm(
        &self,
        fd: RawFd,
        key: SourceKey,
        dirs: Option<Interest>,
        (): &mut (),
    ) -> io::Result<()> {
        // In `Mode::Edge` the table always re-arms with the full interest;
        // it never asks to disarm, which epoll could only do by deleting.
        match dirs {
            Some(dirs) => self
                .registry
                .reregister(&mut SourceFd(&fd), token(key), interest(dirs)),
            None => Ok(()),
        }
    }

    fn delete(&self, fd: RawFd, (): ()) -> io::Result<()> {
        self.registry.deregister(&mut SourceFd(&fd))
    }

    fn is_registered(&self, fd: RawFd, key: SourceKey, dirs: Interest, (): &()) -> bool {
        // epoll finds a registration by fd number *and* open file: once the
        // registered file is closed, `EPOLL_CTL_MOD` on its number fails
        // (`ENOENT` if the number names another file now, `EBADF` if none).
        // If it is still there, the re-arm costs at most a spurious event.
        self.registry
            .reregister(&mut SourceFd(&fd), token(key), interest(dirs))
            .is_ok()
    }
}

/// The waiting half: the epoll instance and its event buffer. Only the
/// (serialized) park touches it.
#[derive(Debug)]
pub(crate) struct Waiter {
    poll: mio::Poll,
    events: Events,
}
