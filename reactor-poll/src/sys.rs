//! The polling glue: everything [`PollReactor`](crate::PollReactor) asks of
//! the OS, and the crate's only `unsafe` code.
//!
//! This module must provide:
//!
//! - [`Poller`]: the [`Registrar`] of the readiness table over
//!   `polling::Poller` in oneshot mode: add an fd (the one `unsafe` call),
//!   re-arm or disarm it (`modify`), delete it; with the same errors on
//!   epoll and on poll(2): a closed fd is [`Error::Io`] with `EBADF` and a
//!   regular file or directory is [`Error::Unsupported`] (poll(2) accepts
//!   both silently, so `fstat` checks them first); and tell whether an fd
//!   number still names the file registered under it (polling's poll(2)
//!   backend keys fds by number, so the glue remembers each file's device
//!   and inode).
//! - [`Polling`], the [`Os`] of the kit's
//!   [`Driver`](baton_reactor_kit::Driver): one wait until a deadline,
//!   and the events it collected as `(SourceKey, Readiness)` pairs; `notify`
//!   to end a wait from any thread.
//!
//! The flag that coalesces unparks, the timers, the readiness table and the
//! park loop stay above this line, in the driver.

#![allow(
    unsafe_code,
    reason = "polling's `add` and `fstat` are unsafe; this module argues both"
)]

use std::collections::HashMap;
use std::io;
use std::mem::MaybeUninit;
use std::num::NonZeroUsize;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use baton_protocol::reactor::SourceKey;
use baton_protocol::{Direction, Error, Interest};
use baton_reactor_kit::{Mode, Os, Readiness, Registrar};
use polling::{Event, Events, PollMode};

// Keys are 64 bits (slot and generation) and travel as polling keys.
const _: () = assert!(usize::BITS >= 64, "baton-reactor-poll needs 64-bit keys");

/// How many events one wait collects at most.
const EVENTS: NonZeroUsize = NonZeroUsize::new(1024).expect("non-zero");

/// The mode every fd is registered in.
const MODE: PollMode = PollMode::Oneshot;

fn event(key: SourceKey, interest: Option<Interest>) -> Event {
    // Lossless: `usize` is 64 bits (checked above). polling reserves
    // `usize::MAX` for its own notifications; the readiness table never hands
    // out that key (`Sources::RESERVED_KEY`).
    let key = key.into_raw() as usize;
    match interest {
        None => Event::none(key),
        Some(i) => match (i.contains(Direction::Read), i.contains(Direction::Write)) {
            (true, false) => Event::readable(key),
            (false, true) => Event::writable(key),
            _ => Event::all(key),
        },
    }
}

/// Borrows a registered fd for polling's `modify` and `delete`.
///
/// # Invariant
///
/// `fd` is registered with the reactor, so it is open: the
/// [`Reactor`](baton_protocol::Reactor) contract makes the caller keep every
/// fd open from `register` until after `deregister` returns, and the
/// readiness table only passes fds in that window. The one exception is the
/// table's clean-up of an fd its owner closed without deregistering (see
/// [`Registrar::is_registered`]); the number is then closed or names another
/// file, and the `delete` fails with an OS error or is a no-op. The borrow
/// lasts for one syscall.
fn borrow(fd: RawFd) -> BorrowedFd<'static> {
    // SAFETY: per the invariant above, `fd` is open for as long as the
    // borrow is used (one `modify` or `delete` call), or the call only hands
    // the number to the kernel or to polling's fd-number map, which report
    // `EBADF` / `ENOENT` for a closed or unknown fd: never memory unsafety.
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// What `fstat` says an fd is.
enum Kind {
    /// A socket, pipe, FIFO, character device, eventfd...: pollable.
    Pollable,
    /// A regular file or a directory: poll(2) reports it always ready and
    /// epoll refuses it with `EPERM` (Decision 4).
    File,
}

/// Which file an fd names: its device and inode.
type Identity = (u64, u64);

/// Checks that `fd` is open, what it is, and which file.
fn stat(fd: RawFd) -> io::Result<(Kind, Identity)> {
    let mut stat = MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fstat` writes a `stat` to the pointer, which is valid for
    // writes of that size; any fd number is acceptable input (a closed one
    // gives `EBADF`).
    if unsafe { libc::fstat(fd, stat.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fstat` returned 0, so it initialized `stat`.
    let stat = unsafe { stat.assume_init() };
    let mode = stat.st_mode & libc::S_IFMT;
    let kind = if mode == libc::S_IFREG || mode == libc::S_IFDIR {
        Kind::File
    } else {
        Kind::Pollable
    };
    Ok((kind, (stat.st_dev, stat.st_ino)))
}

/// The polling instance: registration, waiting and notification.
#[derive(Debug)]
pub(crate) struct Poller {
    poller: polling::Poller,
    /// The file each registered fd named when it was added.
    files: Mutex<HashMap<RawFd, Identity>>,
}

/// The polling glue, as the kit's driver asks for it.
#[derive(Debug)]
pub(crate) enum Polling {}

impl Os for Polling {
    type Registrar = Poller;
    type Waiter = Events;

    const MODE: Mode = Mode::Oneshot;
    /// polling waits with nanosecond timeouts (a timerfd on epoll, ppoll on
    /// poll(2)); what remains is the kernel's timer slack and the wake-up
    /// latency (measured lateness in the crate documentation).
    const RESOLUTION: Duration = Duration::from_millis(1);

    /// Creates the poller (epoll with an eventfd and a timerfd, or poll(2)
    /// with a pipe under `--cfg polling_test_poll_backend`).
    fn open() -> io::Result<(Poller, Events)> {
        let poller = Poller {
            poller: polling::Poller::new()?,
            files: Mutex::new(HashMap::new()),
        };
        Ok((poller, Events::with_capacity(EVENTS)))
    }

    /// polling retries `EINTR` itself, with the same deadline, so a signal
    /// never ends the wait early and never surfaces here.
    ///
    /// `WouldBlock` is a spurious wake-up, not a failure, but it needs one
    /// more wait. polling 3.11's poll(2) backend has `notify` set its flag
    /// *before* it writes the notification pipe; a `wait` that sees the flag
    /// in between reads the still-empty non-blocking pipe and returns
    /// `EAGAIN`. The byte arrives an instant later and is drained by the next
    /// wait, so the turn is simply empty, except that on this error path
    /// `Poller::wait` returns without clearing its own "notified" flag, and
    /// while that flag is set every `notify` is skipped: the next
    /// `wait(None)` would sleep through every unpark. So a zero-timeout wait
    /// follows at once: it cannot block, collects whatever is ready, and
    /// returns `Ok`, which clears the flag. It cannot meet `EAGAIN` again:
    /// that takes another `notify`, which the set flag holds back.
    /// (Surfacing the error made an executor give up on the reactor; the
    /// conformance row `chaos(poll2)` caught that. Skipping the second wait
    /// lost unparks: `task.spawn_join_value` on `poll2×mt1` hung, and
    /// `unpark_never_lost_racing_park` reproduces it.)
    fn wait(poller: &Poller, events: &mut Events, deadline: Option<Instant>) -> io::Result<()> {
        events.clear();
        let waited = match deadline {
            Some(deadline) => poller.poller.wait_deadline(events, deadline),
            None => poller.poller.wait(events, None),
        };
        match waited {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                match poller.poller.wait(events, Some(Duration::ZERO)) {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    fn events(events: &Events) -> impl Iterator<Item = (SourceKey, Readiness)> + '_ {
        events.iter().map(|ev| {
            // polling counts HUP and ERR as both readable and writable. An
            // event with neither is poll(2)'s POLLNVAL (polling reports
            // every non-empty `revents`, and POLLNVAL is in neither of its
            // masks): the fd was closed under the reactor, and poll(2) will
            // say so on every wait, whatever it is asked for. Flagged
            // `invalid`, the table checks with `is_registered` (fstat) that
            // the number no longer names the file, takes it out of the
            // poller and closes the source; otherwise a hang-up.
            let invalid = !(ev.readable || ev.writable);
            let hangup = ev.is_interrupt() || ev.is_err() == Some(true) || invalid;
            (
                // Lossless: keys are 64 bits.
                SourceKey::from_raw(ev.key as u64),
                Readiness {
                    readable: ev.readable,
                    writable: ev.writable,
                    hangup,
                    // polling does not report RDHUP apart from readable; in
                    // oneshot mode every clear re-arms, and the OS reports a
                    // pending end of stream again.
                    read_closed: false,
                    invalid,
                },
            )
        })
    }

    fn notify(poller: &Poller) {
        // Writing the eventfd or pipe cannot fail short of the fd being
        // closed, which only dropping the poller does.
        let _ = poller.poller.notify();
    }

    /// polling's epoll fd: it polls readable while an event is queued, the
    /// notification's included, so a host loop can watch it
    /// ([`Reactor::guest_fd`](baton_protocol::Reactor::guest_fd)). The
    /// poll(2) build has no such fd.
    #[cfg(not(polling_test_poll_backend))]
    fn guest_fd(poller: &Poller) -> Option<BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        Some(poller.poller.as_fd())
    }
}

impl Registrar for Poller {
    type Source = ();

    fn add(&self, fd: RawFd, key: SourceKey, interest: Interest) -> Result<(), Error> {
        let identity = match stat(fd).map_err(Error::Io)? {
            (Kind::File, _) => {
                return Err(Error::Unsupported(
                    "regular files and directories cannot be registered",
                ));
            }
            (Kind::Pollable, identity) => identity,
        };
        // SAFETY: polling requires the fd to be deleted from the poller
        // before it is closed. The readiness table deletes it in `close` and
        // `deregister` (its `in_poller` invariant), and the `Reactor`
        // contract makes the caller keep it open until `deregister` returns
        // (see `borrow`). `stat` just checked that it is open.
        unsafe {
            self.poller
                .add_with_mode(fd, event(key, Some(interest)), MODE)
        }
        .map_err(|e| {
            match e.kind() {
                // epoll's EPERM for files `fstat` did not flag.
                io::ErrorKind::PermissionDenied => {
                    Error::Unsupported("this kind of file cannot be polled")
                }
                io::ErrorKind::AlreadyExists => Error::AlreadyRegistered,
                _ => Error::Io(e),
            }
        })?;
        self.files().insert(fd, identity);
        Ok(())
    }

    fn arm(
        &self,
        fd: RawFd,
        key: SourceKey,
        interest: Option<Interest>,
        (): &mut (),
    ) -> io::Result<()> {
        self.poller
            .modify_with_mode(borrow(fd), event(key, interest), MODE)
    }

    fn delete(&self, fd: RawFd, (): ()) -> io::Result<()> {
        self.files().remove(&fd);
        self.poller.delete(borrow(fd))
    }

    fn is_registered(&self, fd: RawFd, _: SourceKey, _: Interest, (): &()) -> bool {
        match stat(fd) {
            Ok((_, identity)) => self.files().get(&fd) == Some(&identity),
            Err(_) => false,
        }
    }
}

impl Poller {
    fn files(&self) -> std::sync::MutexGuard<'_, HashMap<RawFd, Identity>> {
        // Nothing panics while the lock is held.
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
