//! The io_uring glue: everything [`UringReactor`](crate::UringReactor) asks
//! of the OS, and the crate's only `unsafe` code.
//!
//! This module must provide:
//!
//! - [`Ring`]: the [`Registrar`] of the readiness table over one ring: add
//!   an fd as a multishot `POLL_ADD`, re-check it after a clear (a oneshot
//!   `POLL_ADD`, the *probe*), replace its poll when the interest changes,
//!   delete it (`POLL_REMOVE`); with the same errors as the other reactors
//!   (`fstat` first: a closed fd is [`Error::Io`] with `EBADF`, a regular
//!   file or directory [`Error::Unsupported`], since io_uring would poll
//!   both as always ready); and tell whether an fd number still names the
//!   file registered under it (device and inode, as reactor-poll does).
//! - [`Uring`], the [`Os`] of the kit's [`Driver`](baton_reactor_kit::Driver):
//!   one `io_uring_enter` per park that submits what is queued and waits
//!   (the deadline travels as the enter's timeout argument), the
//!   completions it reaped as `(SourceKey, Readiness)` pairs, and `notify`
//!   (a `NOP` submitted from the notifying thread) to end a wait from any
//!   thread.
//!
//! # Sharing one ring between threads
//!
//! The submission queue is single-producer memory: every push goes through
//! the [`Submission`] lock. A push does not enter the kernel by itself; the
//! next park submits it with its wait. Two kinds of push cannot wait for
//! that: one made while another thread is blocked in the park (`parking`:
//! the entry is submitted at once, or the park would never see it) and a
//! `POLL_REMOVE` (the poll holds a reference to the file, so a socket closed
//! after `deregister` would otherwise stay open, unseen by its peer, until
//! the next park). The completion queue is read only by the park, which the
//! driver serializes.
//!
//! # user_data
//!
//! A poll's completions carry its source's key, with bits 30 and 31 of the
//! slot index as a tag: which of the source's two multishot polls (the tag
//! flips when `reregister` replaces it, so the old poll's last completion
//! is told apart), or the probe. The table's slot indexes stay below 2^30
//! (a registration beyond that fails). Internal operations use keys with
//! the retired generation `u32::MAX`, which no source ever has.

#![allow(
    unsafe_code,
    reason = "io-uring's queue accessors and pushes, and fstat, are unsafe; this module argues each"
)]

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use baton_protocol::reactor::SourceKey;
use baton_protocol::{Direction, Error, Interest};
use baton_reactor_kit::{Mode, Os, Readiness, Registrar};
use io_uring::types::{SubmitArgs, Timespec};
use io_uring::{IoUring, cqueue, opcode, register, squeue};

/// The user_data of the unpark `NOP`.
const UNPARK: u64 = u64::MAX;
/// The user_data of `POLL_REMOVE`s, whose own completions say nothing the
/// reactor needs (only failures arrive, where the kernel skips successes).
const REMOVE: u64 = u64::MAX - 1;
/// Keys of internal operations have this high half (a retired generation).
const INTERNAL: u64 = 0xFFFF_FFFF;

/// Where the tag sits in a poll's user_data: bits 30 and 31 of the index.
const TAG_SHIFT: u32 = 30;
const TAG_MASK: u64 = 0b11 << TAG_SHIFT;
/// The probe: a oneshot `POLL_ADD` that re-checks a source after a clear.
const PROBE: u64 = 2;

/// The poll events of an interest: `POLLRDHUP` with reads, so an end of
/// stream is told apart (as epoll's `EPOLLRDHUP`).
fn poll_mask(interest: Interest) -> u32 {
    let mut mask = 0;
    if interest.contains(Direction::Read) {
        mask |= libc::POLLIN | libc::POLLPRI | libc::POLLRDHUP;
    }
    if interest.contains(Direction::Write) {
        mask |= libc::POLLOUT;
    }
    // The poll flags are small positive `c_short`s.
    mask as u32
}

/// What a poll completion's result (the `revents` mask) reports.
fn readiness(mask: u32) -> Readiness {
    let has = |bits: libc::c_short| mask & (bits as u32) != 0;
    let read_closed = has(libc::POLLRDHUP);
    Readiness {
        readable: has(libc::POLLIN | libc::POLLPRI) || read_closed,
        writable: has(libc::POLLOUT),
        hangup: has(libc::POLLHUP | libc::POLLERR),
        read_closed,
        invalid: has(libc::POLLNVAL),
    }
}

/// A `POLL_ADD` of `fd` for `mask`: multishot, or oneshot (a probe).
fn poll_add(fd: RawFd, mask: u32, user_data: u64, multi: bool) -> squeue::Entry {
    opcode::PollAdd::new(io_uring::types::Fd(fd), mask)
        .multi(multi)
        .build()
        .user_data(user_data)
}

/// What `fstat` says an fd is.
enum Kind {
    /// A socket, pipe, FIFO, character device, eventfd...: pollable.
    Pollable,
    /// A regular file or a directory: io_uring polls it as always ready, as
    /// poll(2) does, and epoll refuses it with `EPERM` (Decision 4).
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while these locks are held.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The settings a ring is opened with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    /// Submission queue entries (the kernel rounds up to a power of two).
    pub(crate) entries: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config { entries: 256 }
    }
}

/// The completion queue holds this many entries per submission entry: one
/// park may reap a readiness of every source, and an overflow, though the
/// kernel keeps it (`IORING_FEAT_NODROP`), costs an extra enter to flush.
const CQ_PER_SQ: u32 = 8;

/// One registered fd, as the ring knows it.
#[derive(Debug)]
struct Reg {
    /// The source's key.
    key: u64,
    /// The file the fd named when it was added.
    identity: Identity,
    /// The poll events of its interest.
    mask: u32,
    /// The tag of its live multishot poll (0 or 1).
    tag: u64,
    /// A probe is in the kernel (or queued for it) and has not completed.
    probe: bool,
}

/// The registered fds, by number and by key.
#[derive(Debug, Default)]
struct Regs {
    by_fd: HashMap<RawFd, Reg>,
    fd_of: HashMap<u64, RawFd>,
}

/// The submission side.
///
/// # Invariant
///
/// Every `SubmissionQueue` view of the ring is made and dropped while this
/// lock is held, so at most one exists at a time.
#[derive(Debug, Default)]
struct Submission {
    /// A park is (about to be) blocked in `io_uring_enter`: a push must
    /// submit at once, or that park would not see it.
    parking: bool,
    /// Entries that must not be lost (removes, re-arms) and found the queue
    /// full with the kernel refusing to take it (`EBUSY`: its completion
    /// queue is full too). The next park pushes them first.
    backlog: Vec<squeue::Entry>,
}

/// When a push is handed to the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Submit {
    /// With the next park's wait, unless a park is waiting now.
    Batched,
    /// Now.
    Now,
}

/// The ring: registration, submission and notification, shared by every
/// thread.
pub(crate) struct Ring {
    ring: IoUring,
    submission: Mutex<Submission>,
    regs: Mutex<Regs>,
    /// Entries that may skip their completion on success
    /// (`IOSQE_CQE_SKIP_SUCCESS`, 5.17): without it, removes complete too.
    skip: squeue::Flags,
}

impl fmt::Debug for Ring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("entries", &self.entries())
            .field("registered", &lock(&self.regs).by_fd.len())
            .finish_non_exhaustive()
    }
}

/// The waiting half: the events the last park reaped.
#[derive(Debug, Default)]
pub(crate) struct Waiter {
    events: Vec<(SourceKey, Readiness)>,
}

/// Whether an error means the kernel refuses io_uring itself: too old
/// (`ENOSYS`), disabled by `kernel.io_uring_disabled` or a seccomp filter
/// (`EPERM`, `EACCES`).
fn refused(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOSYS | libc::EPERM | libc::EACCES)
    )
}

impl Ring {
    /// Opens a ring and checks that the kernel has what the reactor uses.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the kernel refuses io_uring or lacks an
    /// opcode or feature the reactor needs; [`Error::Io`] for any other
    /// refusal (out of file descriptors or locked memory, a ring size the
    /// kernel rejects).
    pub(crate) fn open(config: Config) -> Result<(Ring, Waiter), Error> {
        let ring = IoUring::builder()
            .setup_cqsize(config.entries.saturating_mul(CQ_PER_SQ))
            .setup_clamp()
            .build(config.entries)
            .map_err(|e| {
                if refused(&e) {
                    Error::Unsupported(
                        "the kernel refuses io_uring (too old, disabled by \
                         kernel.io_uring_disabled, or filtered by seccomp)",
                    )
                } else {
                    Error::Io(e)
                }
            })?;
        let mut probe = register::Probe::new();
        ring.submitter().register_probe(&mut probe).map_err(|e| {
            if refused(&e) || e.raw_os_error() == Some(libc::EINVAL) {
                Error::Unsupported("the kernel's io_uring cannot be probed (before 5.6)")
            } else {
                Error::Io(e)
            }
        })?;
        for (code, missing) in [
            (
                opcode::PollAdd::CODE,
                "the kernel's io_uring has no POLL_ADD",
            ),
            (
                opcode::PollRemove::CODE,
                "the kernel's io_uring has no POLL_REMOVE",
            ),
            (opcode::Nop::CODE, "the kernel's io_uring has no NOP"),
        ] {
            if !probe.is_supported(code) {
                return Err(Error::Unsupported(missing));
            }
        }
        let params = ring.params();
        if !params.is_feature_ext_arg() {
            return Err(Error::Unsupported(
                "the kernel's io_uring_enter takes no timeout (before 5.11)",
            ));
        }
        // Multishot POLL_ADD came with 5.13, as did resource tags: the probe
        // cannot see a flag, so the feature bit of the same release stands in.
        if !params.is_feature_resource_tagging() {
            return Err(Error::Unsupported(
                "the kernel's io_uring has no multishot poll (before 5.13)",
            ));
        }
        let skip = if params.is_feature_skip_cqe_on_success() {
            squeue::Flags::SKIP_SUCCESS
        } else {
            squeue::Flags::empty()
        };
        let ring = Ring {
            ring,
            submission: Mutex::new(Submission::default()),
            regs: Mutex::new(Regs::default()),
            skip,
        };
        Ok((ring, Waiter::default()))
    }

    /// The ring's submission queue size.
    pub(crate) fn entries(&self) -> u32 {
        self.ring.params().sq_entries()
    }

    /// Pushes `entry`, handing the queue to the kernel first when it is
    /// full.
    ///
    /// # Errors
    ///
    /// The kernel's refusal to take a full queue (`EBUSY` while its
    /// completion queue is full, `EAGAIN` out of memory); the entry is then
    /// not queued.
    fn push(&self, _: &mut Submission, entry: &squeue::Entry) -> io::Result<()> {
        loop {
            {
                // SAFETY: the caller holds the `Submission` lock (the
                // `&mut Submission` proves it), so this is the only
                // submission queue view (its `# Invariant`).
                let mut sq = unsafe { self.ring.submission_shared() };
                // SAFETY: every entry this module builds is a POLL_ADD,
                // POLL_REMOVE or NOP: none carries a pointer or a buffer,
                // so there is nothing that must outlive the operation. The
                // fd of a POLL_ADD is only a number to the kernel (a closed
                // one completes with `EBADF`).
                if unsafe { sq.push(entry) }.is_ok() {
                    return Ok(());
                }
            }
            // Full: submit what it holds to make room.
            match self.ring.submit() {
                Ok(0) => return Err(io::ErrorKind::WouldBlock.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Queues `entries` and submits them per `when`. An entry that cannot be
    /// queued is kept in the backlog if `keep`, else its error is returned
    /// (and the entries after it are not queued).
    fn submit(&self, entries: &[squeue::Entry], when: Submit, keep: bool) -> io::Result<()> {
        let mut submission = lock(&self.submission);
        let mut result = Ok(());
        for entry in entries {
            if let Err(e) = self.push(&mut submission, entry) {
                if keep {
                    submission.backlog.push(entry.clone());
                } else {
                    result = Err(e);
                    break;
                }
            }
        }
        let now = when == Submit::Now || submission.parking;
        drop(submission);
        if now {
            match self.ring.submit() {
                Ok(_) => {}
                // The kernel's completion queue is full, so the park has
                // completions to reap and does not sleep; its next enter
                // submits what is queued.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        result
    }

    fn poll_remove(&self, user_data: u64) -> squeue::Entry {
        opcode::PollRemove::new(user_data)
            .build()
            .user_data(REMOVE)
            .flags(self.skip)
    }

    /// Reaps the completion queue into `events`, re-arming the multishot
    /// polls the kernel ended.
    fn reap(&self, events: &mut Vec<(SourceKey, Readiness)>) {
        let mut rearm = Vec::new();
        {
            // SAFETY: only the park reads the completion queue, and the
            // driver serializes parks: this is the only view.
            let cq = unsafe { self.ring.completion_shared() };
            for cqe in cq {
                let user_data = cqe.user_data();
                if user_data >> 32 == INTERNAL {
                    // The unpark NOP, or a remove that failed because its
                    // poll had already ended: nothing to report.
                    continue;
                }
                let key = user_data & !TAG_MASK;
                let tag = (user_data & TAG_MASK) >> TAG_SHIFT;
                let result = cqe.result();
                if let Ok(mask) = u32::try_from(result) {
                    events.push((SourceKey::from_raw(key), readiness(mask)));
                }
                if !cqueue::more(cqe.flags()) {
                    self.ended(key, tag, result, events, &mut rearm);
                }
            }
        }
        if !rearm.is_empty() {
            let _ = self.submit(&rearm, Submit::Batched, true);
        }
    }

    /// A poll of `key` ended (its last completion had no `F_MORE`): a
    /// probe that answered, a multishot poll cancelled (by `POLL_REMOVE`,
    /// or by the kernel when the thread that submitted it exited) or cut
    /// short (an overflowing completion queue).
    fn ended(
        &self,
        key: u64,
        tag: u64,
        result: i32,
        events: &mut Vec<(SourceKey, Readiness)>,
        rearm: &mut Vec<squeue::Entry>,
    ) {
        let mut regs = lock(&self.regs);
        let Some(&fd) = regs.fd_of.get(&key) else {
            // Deregistered meanwhile.
            return;
        };
        let Some(reg) = regs.by_fd.get_mut(&fd) else {
            return;
        };
        if tag == PROBE {
            reg.probe = false;
        } else if tag != reg.tag {
            // The poll `reregister` replaced.
            return;
        }
        match -result {
            // The fd was closed before the poll reached the kernel: the
            // table checks whether the number still names the file.
            libc::EBADF => events.push((
                SourceKey::from_raw(key),
                Readiness {
                    invalid: true,
                    ..Readiness::default()
                },
            )),
            // Another failure (a cancellation is not one): wake both
            // directions, so the next operation meets the fd's real state.
            e if e > 0 && e != libc::ECANCELED => events.push((
                SourceKey::from_raw(key),
                Readiness {
                    readable: true,
                    writable: true,
                    ..Readiness::default()
                },
            )),
            _ => {}
        }
        if tag != PROBE && result != -libc::EBADF {
            rearm.push(poll_add(fd, reg.mask, key | (reg.tag << TAG_SHIFT), true));
        }
    }
}

/// The io_uring glue, as the kit's driver asks for it.
#[derive(Debug)]
pub(crate) enum Uring {}

impl Os for Uring {
    type Registrar = Ring;
    type Waiter = Waiter;

    /// A multishot poll reports each wake-up of the file, as an
    /// edge-triggered epoll does; the table re-checks after a clear.
    const MODE: Mode = Mode::Edge;
    /// The enter's timeout is in nanoseconds; what remains is the kernel's
    /// timer slack and the wake-up latency (measured lateness in the crate
    /// documentation).
    const RESOLUTION: Duration = Duration::from_millis(1);

    fn open() -> io::Result<(Ring, Waiter)> {
        Ring::open(Config::default()).map_err(io::Error::from)
    }

    /// One `io_uring_enter` that submits every queued entry and waits for
    /// one completion or the deadline; none at all for a non-blocking park
    /// with nothing to submit (the completions are in shared memory).
    fn wait(ring: &Ring, waiter: &mut Waiter, deadline: Option<Instant>) -> io::Result<()> {
        waiter.events.clear();
        let (queued, overflow) = {
            let mut submission = lock(&ring.submission);
            for entry in std::mem::take(&mut submission.backlog) {
                if ring.push(&mut submission, &entry).is_err() {
                    submission.backlog.push(entry);
                }
            }
            submission.parking = true;
            // SAFETY: the `Submission` lock is held: the only view.
            let sq = unsafe { ring.ring.submission_shared() };
            (!sq.is_empty(), sq.cq_overflow())
        };
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        // SAFETY: only the park reads the completion queue (see `reap`).
        let completed = !unsafe { ring.ring.completion_shared() }.is_empty();
        let waited = if timeout == Some(Duration::ZERO) || completed {
            if queued || overflow {
                ring.ring.submit().map(drop)
            } else {
                Ok(())
            }
        } else {
            match timeout {
                None => ring.ring.submit_and_wait(1).map(drop),
                Some(timeout) => {
                    let timespec = Timespec::from(timeout);
                    let args = SubmitArgs::new().timespec(&timespec);
                    ring.ring.submitter().submit_with_args(1, &args).map(drop)
                }
            }
        };
        lock(&ring.submission).parking = false;
        match waited {
            Ok(()) => {}
            // The deadline passed.
            Err(e) if e.raw_os_error() == Some(libc::ETIME) => {}
            // The completion queue overflowed: reap, and the next enter
            // flushes the rest and submits.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => {}
            // `EINTR` included: the driver makes it an empty turn.
            Err(e) => return Err(e),
        }
        ring.reap(&mut waiter.events);
        Ok(())
    }

    fn events(waiter: &Waiter) -> impl Iterator<Item = (SourceKey, Readiness)> + '_ {
        waiter.events.iter().copied()
    }

    /// The ring's fd: it polls readable while the completion queue holds
    /// an entry, the unpark `NOP`'s included, so a host loop can watch it
    /// ([`Reactor::guest_fd`](baton_protocol::Reactor::guest_fd)).
    fn guest_fd(ring: &Ring) -> Option<BorrowedFd<'_>> {
        // SAFETY: the ring's fd is open for as long as `ring.ring` lives,
        // which outlives the borrow (tied to `ring`).
        Some(unsafe { BorrowedFd::borrow_raw(ring.ring.as_raw_fd()) })
    }

    /// The host waits in place of a park: what is queued is submitted now,
    /// and until the next park every push is submitted at once (as while a
    /// park waits), or the host's wait would never see it.
    fn guest_prepare(ring: &Ring) -> io::Result<()> {
        lock(&ring.submission).parking = true;
        match ring.ring.submit() {
            Ok(_) => Ok(()),
            // The completion queue is full: the fd is readable, the host's
            // next park reaps and submits.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Submits a `NOP` from the calling thread: its completion ends the
    /// park's wait. Failing to queue it means the completion queue is full,
    /// so the park is not sleeping anyway.
    fn notify(ring: &Ring) {
        let nop = opcode::Nop::new().build().user_data(UNPARK);
        let _ = ring.submit(&[nop], Submit::Now, false);
    }
}

impl Registrar for Ring {
    fn add(&self, fd: RawFd, key: SourceKey, interest: Interest) -> Result<(), Error> {
        let identity = match stat(fd).map_err(Error::Io)? {
            (Kind::File, _) => {
                return Err(Error::Unsupported(
                    "regular files and directories cannot be registered",
                ));
            }
            (Kind::Pollable, identity) => identity,
        };
        let key = key.into_raw();
        if key & TAG_MASK != 0 {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "the io_uring reactor holds at most 2^30 source slots",
            )));
        }
        let mask = poll_mask(interest);
        {
            let mut regs = lock(&self.regs);
            if regs.by_fd.contains_key(&fd) {
                return Err(Error::AlreadyRegistered);
            }
            let reg = Reg {
                key,
                identity,
                mask,
                tag: 0,
                probe: false,
            };
            regs.by_fd.insert(fd, reg);
            regs.fd_of.insert(key, fd);
        }
        let entry = poll_add(fd, mask, key, true);
        if let Err(e) = self.submit(&[entry], Submit::Batched, false) {
            let mut regs = lock(&self.regs);
            regs.by_fd.remove(&fd);
            regs.fd_of.remove(&key);
            return Err(Error::Io(e));
        }
        Ok(())
    }

    /// A clear (the same interest): a probe, unless one is pending already
    /// (it reports the next readiness). A new interest: the multishot poll
    /// is replaced, which re-checks the fd by itself.
    fn arm(&self, fd: RawFd, key: SourceKey, interest: Option<Interest>) -> io::Result<()> {
        // In `Mode::Edge` the table never asks to disarm.
        let Some(interest) = interest else {
            return Ok(());
        };
        let mask = poll_mask(interest);
        let key = key.into_raw();
        let mut entries = Vec::new();
        {
            let mut regs = lock(&self.regs);
            let Some(reg) = regs.by_fd.get_mut(&fd).filter(|reg| reg.key == key) else {
                return Err(io::ErrorKind::NotFound.into());
            };
            if mask != reg.mask {
                entries.push(self.poll_remove(key | (reg.tag << TAG_SHIFT)));
                reg.tag ^= 1;
                reg.mask = mask;
                entries.push(poll_add(fd, mask, key | (reg.tag << TAG_SHIFT), true));
            } else if !reg.probe {
                reg.probe = true;
                entries.push(poll_add(fd, mask, key | (PROBE << TAG_SHIFT), false));
            }
        }
        self.submit(&entries, Submit::Batched, false)
    }

    fn delete(&self, fd: RawFd) -> io::Result<()> {
        let Some(reg) = ({
            let mut regs = lock(&self.regs);
            let reg = regs.by_fd.remove(&fd);
            if let Some(reg) = &reg {
                regs.fd_of.remove(&reg.key);
            }
            reg
        }) else {
            return Err(io::ErrorKind::NotFound.into());
        };
        let mut entries = vec![self.poll_remove(reg.key | (reg.tag << TAG_SHIFT))];
        if reg.probe {
            entries.push(self.poll_remove(reg.key | (PROBE << TAG_SHIFT)));
        }
        self.submit(&entries, Submit::Now, true)
    }

    fn is_registered(&self, fd: RawFd, _: SourceKey, _: Interest) -> bool {
        match stat(fd) {
            Ok((_, identity)) => {
                lock(&self.regs).by_fd.get(&fd).map(|reg| reg.identity) == Some(identity)
            }
            Err(_) => false,
        }
    }
}
