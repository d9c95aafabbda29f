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
//! - [`Ops`], the owned-buffer operations of completion mode (`RECV`,
//!   `SEND`, `READ`, `WRITE`): the [`Completion`] the reactor offers when
//!   built with it. Each operation's buffer is held here, leaked from its
//!   box, from the submission until the park reaps its completion; a
//!   cancelled one is dropped then, never before.
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
//! the retired generation `u32::MAX`, which no source ever has: the
//! unpark `NOP`, the removes and cancels (the three highest values), and
//! owned-buffer operations, whose low half is their slot in [`Ops`]
//! (below 2^31, so never one of the three).

#![allow(
    unsafe_code,
    reason = "io-uring's queue accessors and pushes, and fstat, are unsafe; this module argues each"
)]

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_protocol::completion::{Completed, Completion, OpKey, OpKind, OwnedBuf, Refused};
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
/// The user_data of `ASYNC_CANCEL`s: only a failed one completes (when
/// the kernel skips successes), and it says nothing the reactor needs (the
/// cancelled operation's own completion follows, or came first).
const CANCEL: u64 = u64::MAX - 2;
/// Keys of internal operations have this high half (a retired generation).
const INTERNAL: u64 = 0xFFFF_FFFF;
/// Owned-buffer operations' slots are below this, so their user_data is
/// never one of the three above.
const OP_LIMIT: u32 = 1 << 31;

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
    /// A socket, pipe, FIFO, character device, eventfd...: pollable;
    /// `true` for a socket (owned-buffer operations use `RECV` and `SEND`
    /// on it, `READ` and `WRITE` elsewhere).
    Pollable(bool),
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
        Kind::Pollable(mode == libc::S_IFSOCK)
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
    /// Completion mode: the opcodes of owned-buffer operations are probed
    /// for at open.
    pub(crate) completion: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            entries: 256,
            completion: false,
        }
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
    /// The fd is a socket.
    socket: bool,
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
    /// The owned-buffer operations (completion mode).
    ops: Mutex<Ops>,
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
    /// The wakers of the owned-buffer operations it completed.
    woken: Vec<Waker>,
    /// How many owned-buffer operations it completed (cancelled ones
    /// excluded).
    completions: usize,
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
        if config.completion {
            for code in [
                opcode::Recv::CODE,
                opcode::Send::CODE,
                opcode::Read::CODE,
                opcode::Write::CODE,
                opcode::AsyncCancel::CODE,
            ] {
                if !probe.is_supported(code) {
                    return Err(Error::Unsupported(
                        "the kernel's io_uring lacks an opcode of completion mode \
                         (RECV, SEND, READ, WRITE, ASYNC_CANCEL)",
                    ));
                }
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
            ops: Mutex::new(Ops::default()),
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
                // SAFETY: the entries this module builds are POLL_ADD,
                // POLL_REMOVE, NOP and ASYNC_CANCEL, which carry no pointer
                // (an fd is only a number to the kernel: a closed one
                // completes with `EBADF`), and the owned-buffer operations
                // of `Ring::submit_op`, whose buffer pointer stays valid
                // until their completion is reaped: the buffer is a `Lent`
                // held by `Ops` until then (its `# Invariant`), and leaked
                // if the ring is dropped first.
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

    /// Reaps the completion queue into `waiter`, re-arming the multishot
    /// polls the kernel ended and completing owned-buffer operations.
    fn reap(&self, waiter: &mut Waiter) {
        let events = &mut waiter.events;
        let mut rearm = Vec::new();
        // Buffers of cancelled operations, dropped after every lock.
        let mut released = Vec::new();
        {
            // SAFETY: only the park reads the completion queue, and the
            // driver serializes parks: this is the only view.
            let cq = unsafe { self.ring.completion_shared() };
            for cqe in cq {
                let user_data = cqe.user_data();
                if user_data >> 32 == INTERNAL {
                    // An owned-buffer operation's slot (truncation is
                    // the point: the low half), or the unpark NOP, a
                    // remove or cancel that failed because its target had
                    // already ended: nothing to report.
                    #[allow(clippy::cast_possible_truncation, reason = "the low half is the slot")]
                    let slot = user_data as u32;
                    if slot < OP_LIMIT {
                        let mut ops = lock(&self.ops);
                        match ops.complete(slot, cqe.result()) {
                            Finished::Woke(waker) => {
                                waiter.completions += 1;
                                waiter.woken.extend(waker);
                            }
                            Finished::Released(buf) => released.push(buf),
                        }
                    }
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
        drop(released);
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
        waiter.woken.clear();
        waiter.completions = 0;
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
        ring.reap(waiter);
        Ok(())
    }

    fn events(waiter: &Waiter) -> impl Iterator<Item = (SourceKey, Readiness)> + '_ {
        waiter.events.iter().copied()
    }

    fn completed(waiter: &mut Waiter, wakers: &mut Vec<Waker>) -> usize {
        wakers.append(&mut waiter.woken);
        std::mem::take(&mut waiter.completions)
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
    type Source = ();

    fn add(&self, fd: RawFd, key: SourceKey, interest: Interest) -> Result<(), Error> {
        let identity = match stat(fd).map_err(Error::Io)? {
            (Kind::File, _) => {
                return Err(Error::Unsupported(
                    "regular files and directories cannot be registered",
                ));
            }
            (Kind::Pollable(socket), identity) => (socket, identity),
        };
        let (socket, identity) = identity;
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
                socket,
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
    fn arm(
        &self,
        fd: RawFd,
        key: SourceKey,
        interest: Option<Interest>,
        (): &mut (),
    ) -> io::Result<()> {
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

    fn delete(&self, fd: RawFd, (): ()) -> io::Result<()> {
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

    fn is_registered(&self, fd: RawFd, _: SourceKey, _: Interest, (): &()) -> bool {
        match stat(fd) {
            Ok((_, identity)) => {
                lock(&self.regs).by_fd.get(&fd).map(|reg| reg.identity) == Some(identity)
            }
            Err(_) => false,
        }
    }
}

/// A buffer lent to the kernel by an owned-buffer operation.
///
/// # Invariant
///
/// Made from a `Box<dyn OwnedBuf>` by [`Lent::new`] (leaked) and owned by
/// the [`Ops`] slot that holds it; turned back into the box at most once,
/// by [`Lent::into_box`], and only once the operation's completion has been
/// reaped (or the entry was never queued). Until then nothing reads or
/// writes through it but the kernel.
struct Lent(NonNull<dyn OwnedBuf>);

// SAFETY: a `Lent` owns a `Box<dyn OwnedBuf>` (its `# Invariant`), and
// `OwnedBuf: Send`; the kernel's access does not depend on the thread.
unsafe impl Send for Lent {}

impl Lent {
    /// Leaks `buf` and returns it with the pointer and length the entry
    /// names: the bytes a read fills or a write sends.
    fn new(buf: Box<dyn OwnedBuf>, op: OpKind) -> (Lent, *mut u8, u32) {
        let mut lent = NonNull::from(Box::leak(buf));
        // SAFETY: `lent` was just leaked from its box: valid, and unique
        // (nothing else has it yet). The kernel's pointer is derived from
        // it, so it stays valid for as long as `lent` is not turned back
        // into a box (the `# Invariant`).
        let buf = unsafe { lent.as_mut() };
        let (ptr, len) = match op {
            OpKind::Read => {
                let bytes = buf.bytes_mut();
                (bytes.as_mut_ptr(), bytes.len())
            }
            _ => {
                let bytes = buf.bytes();
                (bytes.as_ptr().cast_mut(), bytes.len())
            }
        };
        // A longer buffer moves at most `u32::MAX` bytes per operation, as
        // a short read or write.
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        (Lent(lent), ptr, len)
    }

    /// The box back, for the caller or to drop it.
    fn into_box(self) -> Box<dyn OwnedBuf> {
        // SAFETY: the pointer came from `Box::leak` in `Lent::new`, and
        // the `# Invariant` makes this the only conversion back, after the
        // kernel is done with the buffer.
        unsafe { Box::from_raw(self.0.as_ptr()) }
    }
}

/// Where an owned-buffer operation is.
enum OpState {
    /// In the kernel (or queued for it); `cancelled` once its future was
    /// dropped: the buffer is dropped when the completion is reaped.
    InFlight {
        waker: Option<Waker>,
        cancelled: bool,
    },
    /// Reaped, with the kernel's result; the buffer waits for `poll_op`.
    Done(i32),
}

/// One operation: its generation (the high half of its [`OpKey`]), its
/// buffer and state.
struct OpSlot {
    generation: u32,
    op: Option<(Lent, OpState)>,
}

/// The owned-buffer operations, by slot; a slot is reused only after its
/// completion was reaped, so a completion's user_data names one operation.
#[derive(Default)]
struct Ops {
    slots: Vec<OpSlot>,
    free: Vec<u32>,
    /// Slots holding a buffer.
    live: usize,
}

impl fmt::Debug for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ops").field("live", &self.live).finish()
    }
}

/// What a reaped completion did.
enum Finished {
    /// The operation's future is woken (if it stored a waker).
    Woke(Option<Waker>),
    /// The operation was cancelled: its buffer is released.
    Released(Option<Box<dyn OwnedBuf>>),
}

impl Ops {
    /// A slot for a new operation: `(slot, generation)`; the buffer back
    /// when every slot is taken.
    fn insert(&mut self, buf: Lent) -> Result<(u32, u32), Lent> {
        let state = OpState::InFlight {
            waker: None,
            cancelled: false,
        };
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let Some(slot) = u32::try_from(self.slots.len())
                    .ok()
                    .filter(|&s| s < OP_LIMIT)
                else {
                    return Err(buf);
                };
                self.slots.push(OpSlot {
                    generation: 0,
                    op: None,
                });
                slot
            }
        };
        let entry = &mut self.slots[slot as usize];
        entry.generation = entry.generation.wrapping_add(1);
        entry.op = Some((buf, state));
        self.live += 1;
        Ok((slot, entry.generation))
    }

    /// Frees `slot`, giving back its buffer.
    fn remove(&mut self, slot: u32) -> Option<(Lent, OpState)> {
        let op = self.slots.get_mut(slot as usize)?.op.take()?;
        self.free.push(slot);
        self.live -= 1;
        Some(op)
    }

    /// The slot of `key`, if it names a live operation.
    fn find(&mut self, key: OpKey) -> Option<(u32, &mut OpState)> {
        let raw = key.into_raw();
        let slot = u32::try_from(raw & 0xFFFF_FFFF).ok()?;
        let entry = self.slots.get_mut(slot as usize)?;
        if u64::from(entry.generation) != raw >> 32 {
            return None;
        }
        entry.op.as_mut().map(|(_, state)| (slot, state))
    }

    /// The completion of `slot` was reaped.
    fn complete(&mut self, slot: u32, result: i32) -> Finished {
        let Some((_, state)) = self
            .slots
            .get_mut(slot as usize)
            .and_then(|e| e.op.as_mut())
        else {
            return Finished::Woke(None);
        };
        match std::mem::replace(state, OpState::Done(result)) {
            OpState::InFlight {
                cancelled: true, ..
            } => Finished::Released(self.remove(slot).map(|(buf, _)| buf.into_box())),
            OpState::InFlight { waker, .. } => Finished::Woke(waker),
            // One completion per operation: a second cannot come.
            done @ OpState::Done(_) => {
                *state = done;
                Finished::Woke(None)
            }
        }
    }
}

impl Drop for Ops {
    /// Drops the buffers the kernel is done with; leaks those still in
    /// flight, which the kernel may write until it has torn the ring down.
    fn drop(&mut self) {
        for entry in &mut self.slots {
            if let Some((buf, OpState::Done(_))) = entry.op.take() {
                drop(buf.into_box());
            }
        }
    }
}

/// The result of a completion as `read(2)` reports it.
fn io_result(result: i32) -> io::Result<usize> {
    usize::try_from(result).map_err(|_| io::Error::from_raw_os_error(-result))
}

impl Ring {
    /// Queues one owned-buffer operation's entry. An `Err` means it was
    /// not queued (the caller may free the buffer); once queued, a failed
    /// immediate submit is left to the next park's enter, which submits
    /// whatever the queue holds.
    fn submit_op(&self, entry: &squeue::Entry) -> io::Result<()> {
        let mut submission = lock(&self.submission);
        self.push(&mut submission, entry)?;
        let now = submission.parking;
        drop(submission);
        if now {
            let _ = self.ring.submit();
        }
        Ok(())
    }
}

/// Completion mode: owned-buffer operations on registered sources, as
/// `RECV` and `SEND` on sockets and `READ` and `WRITE` (at the file
/// position) elsewhere, reaped by the park.
impl Completion for Ring {
    fn submit(&self, key: SourceKey, op: OpKind, buf: Box<dyn OwnedBuf>) -> Result<OpKey, Refused> {
        let found = {
            let regs = lock(&self.regs);
            regs.fd_of
                .get(&key.into_raw())
                .and_then(|fd| regs.by_fd.get(fd).map(|reg| (*fd, reg.socket)))
        };
        let Some((fd, socket)) = found else {
            return Err(Refused {
                error: Error::NotRegistered,
                buf,
            });
        };
        let (lent, ptr, len) = Lent::new(buf, op);
        let inserted = lock(&self.ops).insert(lent);
        let (slot, generation) = match inserted {
            Ok(inserted) => inserted,
            // Never queued: the kernel never saw the buffer.
            Err(lent) => {
                return Err(Refused {
                    error: Error::Io(io::Error::new(
                        io::ErrorKind::OutOfMemory,
                        "the io_uring reactor holds at most 2^31 operations",
                    )),
                    buf: lent.into_box(),
                });
            }
        };
        let fd = io_uring::types::Fd(fd);
        let entry = match (op, socket) {
            (OpKind::Read, true) => opcode::Recv::new(fd, ptr, len).build(),
            (OpKind::Read, false) => opcode::Read::new(fd, ptr, len).offset(u64::MAX).build(),
            (_, true) => opcode::Send::new(fd, ptr, len)
                .flags(libc::MSG_NOSIGNAL)
                .build(),
            (_, false) => opcode::Write::new(fd, ptr, len).offset(u64::MAX).build(),
        }
        .user_data(INTERNAL << 32 | u64::from(slot));
        if let Err(e) = self.submit_op(&entry) {
            // Never queued: the kernel never saw the buffer.
            let (buf, _) = lock(&self.ops)
                .remove(slot)
                .expect("the slot was inserted above and only its completion frees it");
            return Err(Refused {
                error: Error::Io(e),
                buf: buf.into_box(),
            });
        }
        Ok(OpKey::from_raw(
            u64::from(generation) << 32 | u64::from(slot),
        ))
    }

    fn poll_op(&self, op: OpKey, cx: &mut Context<'_>) -> Poll<Result<Completed, Error>> {
        let mut ops = lock(&self.ops);
        let Some((slot, state)) = ops.find(op) else {
            return Poll::Ready(Err(Error::NotRegistered));
        };
        match state {
            OpState::InFlight { waker, .. } => {
                match waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            OpState::Done(result) => {
                let result = io_result(*result);
                let (buf, _) = ops.remove(slot).expect("found above");
                Poll::Ready(Ok((result, buf.into_box())))
            }
        }
    }

    fn cancel(&self, op: OpKey) {
        let mut ops = lock(&self.ops);
        let Some((slot, state)) = ops.find(op) else {
            return;
        };
        match state {
            OpState::InFlight { waker, cancelled } => {
                *waker = None;
                *cancelled = true;
                drop(ops);
                let cancel = opcode::AsyncCancel::new(INTERNAL << 32 | u64::from(slot))
                    .build()
                    .user_data(CANCEL)
                    .flags(self.skip);
                // Kept in the backlog if the queues are full: the buffer
                // is released when the operation completes, cancelled or
                // not.
                let _ = self.submit(&[cancel], Submit::Batched, true);
            }
            OpState::Done(_) => {
                let released = ops.remove(slot).map(|(buf, _)| buf.into_box());
                drop(ops);
                drop(released);
            }
        }
    }

    fn in_flight(&self) -> usize {
        lock(&self.ops).live
    }
}
