//! The readiness table: the source half of the [`Reactor`](baton_protocol::Reactor)
//! contract, over any poller that can add, re-arm and delete a file
//! descriptor.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::mem;
use std::os::fd::RawFd;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};

use super::pages::Pages;
use super::wake_all;
use crate::sync::{AtomicBool, Mutex, MutexGuard};
use baton_protocol::Error;
use baton_protocol::reactor::{Direction, Interest, SourceKey, Tick};
use smallvec::SmallVec;

/// How the reactor's poller reports readiness, which decides when the table
/// asks it to re-arm a source through [`Registrar::arm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Edge-triggered (mio, `EPOLLET`): the poller keeps the full interest
    /// armed and reports each new readiness once. The table re-arms with the
    /// full interest after an effective [`clear_ready`](Sources::clear_ready)
    /// (an `EPOLL_CTL_MOD` makes epoll re-check the fd), so data left
    /// buffered by a caller that cleared too early is reported again.
    Edge,
    /// Oneshot (polling's default, `EPOLLONESHOT` or poll(2) emulation):
    /// each reported event disarms the whole registration. The table keeps
    /// armed exactly the directions of the interest that are not cached
    /// ready: after each event it re-arms those still wanted, and an
    /// effective `clear_ready` adds its direction back.
    Oneshot,
}

/// The poller behind a [`Sources`] table: what the table asks of the OS.
///
/// Every method is called with the source's own lock held, so calls for one
/// source never overtake each other; calls for different sources may run
/// concurrently, and concurrently with the reactor's wait.
pub trait Registrar: Send + Sync {
    /// What the poller keeps per registration, in the table's slot: `()`
    /// for an OS poller, which finds its registrations by fd; a host
    /// reactor's registration (tokio's `AsyncFd`) for a poller that
    /// reports readiness only when asked ([`poll_source`](Registrar::poll_source)).
    /// Dropped when the registration leaves the poller, after
    /// [`delete`](Registrar::delete).
    type Source: Default + Send + fmt::Debug;

    /// Adds `fd` to the poller, reporting `interest`, with events tagged by
    /// `key` (so [`Sources::dispatch`] can drop events of a source that was
    /// deregistered meanwhile), and returns what the slot keeps of it.
    ///
    /// # Errors
    ///
    /// The errors of [`Reactor::register`](baton_protocol::Reactor::register) that the
    /// table cannot see itself: [`Error::Io`] with `EBADF` for a closed fd,
    /// [`Error::Unsupported`] for a regular file or directory, any other OS
    /// error as [`Error::Io`].
    fn add(&self, fd: RawFd, key: SourceKey, interest: Interest) -> Result<Self::Source, Error>;

    /// Changes what a registered `fd` reports: `Some(interest)` arms (or, in
    /// [`Mode::Edge`], re-arms) exactly those directions, `None` disarms it
    /// while keeping the registration (only used in [`Mode::Oneshot`]).
    ///
    /// # Errors
    ///
    /// The OS error. The table then reports the source's directions ready,
    /// so the caller's next operation meets the error itself.
    fn arm(
        &self,
        fd: RawFd,
        key: SourceKey,
        interest: Option<Interest>,
        source: &mut Self::Source,
    ) -> io::Result<()>;

    /// Removes `fd` from the poller, with what the slot kept of it
    /// (`source`, for the poller to drop). The table ignores the error: a caller
    /// that closed the fd before deregistering it already removed it from
    /// epoll, and there is nothing left to undo.
    ///
    /// # Errors
    ///
    /// The OS error.
    fn delete(&self, fd: RawFd, source: Self::Source) -> io::Result<()>;

    /// Whether `fd` still names the file registered under `key` with
    /// `interest`.
    ///
    /// The table asks only when a new registration finds `fd` in use: if its
    /// owner closed it without deregistering (a contract breach, Decision 7)
    /// and the number now names another file, the answer is `false`, the
    /// stale registration is closed and the new one proceeds; otherwise the
    /// new registration fails with [`Error::AlreadyRegistered`]. An epoll
    /// backend can answer with `EPOLL_CTL_MOD` (`ENOENT` once epoll forgot
    /// the closed file); a backend keyed by fd number compares the file's
    /// identity (`fstat`'s device and inode) with the one it registered.
    fn is_registered(
        &self,
        fd: RawFd,
        key: SourceKey,
        interest: Interest,
        source: &Self::Source,
    ) -> bool;

    /// For a poller that reports readiness only when asked, not through
    /// [`Sources::dispatch`] (a host's reactor, which runs its own loop and
    /// calls wakers): the readiness of `dir` it holds for `source`,
    /// consumed, or `None` after arranging for `waker` to be woken when it
    /// next has some. `recheck` says that the caller cleared `dir` without
    /// draining the fd ([`Sources::clear_ready`]) since the last call: the
    /// fd may still be ready with no new event to come, so the poller must
    /// ask the fd itself.
    ///
    /// The table calls it from `poll_ready`, with the slot's lock held,
    /// when `dir` is not cached ready, and treats `Some` as an event, which
    /// must report `dir` (readable for `Read`, writable for `Write`, or a
    /// hang-up): the caller is told it is ready. An
    /// OS poller, which delivers every event through `dispatch`, keeps the
    /// default: `None`, at no cost.
    fn poll_source(
        &self,
        source: &mut Self::Source,
        fd: RawFd,
        dir: Direction,
        recheck: bool,
        waker: &Waker,
    ) -> Option<Readiness> {
        let _ = (source, fd, dir, recheck, waker);
        None
    }
}

/// What the poller reported for one source in one event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// A read would not block (data, a pending connection, or end of file).
    pub readable: bool,
    /// A write would not block.
    pub writable: bool,
    /// Hang-up or error: both directions become ready, so a reader sees end
    /// of file and a writer sees `EPIPE` (or the pending socket error).
    pub hangup: bool,
    /// The peer will send nothing more (`EPOLLRDHUP`): end of stream is
    /// readable from now on. Pollers that cannot tell leave it `false`.
    pub read_closed: bool,
    /// The poller says the fd is not open (poll(2)'s `POLLNVAL`): its owner
    /// closed it without deregistering (Decision 7). poll(2) reports that on
    /// every wait, whatever it is asked for, so [`Sources::dispatch`] takes
    /// the fd out of the poller, once [`Registrar::is_registered`] confirms
    /// it no longer names the registered file, and closes the source: its
    /// waiters wake and meet [`Error::Closed`], as after
    /// [`Sources::close`]. Pollers that forget closed fds by themselves
    /// (epoll) leave it `false`.
    pub invalid: bool,
}

/// A set of directions: bit 0 read, bit 1 write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Dirs(u8);

impl Dirs {
    const NONE: Dirs = Dirs(0);

    fn of(dir: Direction) -> Dirs {
        Dirs(1 << dir.index())
    }

    fn from_interest(interest: Interest) -> Dirs {
        let mut dirs = Dirs::NONE;
        for dir in Direction::ALL {
            if interest.contains(dir) {
                dirs = dirs.with(dir);
            }
        }
        dirs
    }

    fn to_interest(self) -> Option<Interest> {
        match self.0 {
            1 => Some(Interest::READ),
            2 => Some(Interest::WRITE),
            3 => Some(Interest::BOTH),
            _ => None,
        }
    }

    fn contains(self, dir: Direction) -> bool {
        self.0 & Dirs::of(dir).0 != 0
    }

    fn with(self, dir: Direction) -> Dirs {
        Dirs(self.0 | Dirs::of(dir).0)
    }
}

/// One direction of one source.
///
/// Its three flags and its tick share one word: 32 bytes with the waiters,
/// not 40, so 16 bytes less per registered source (every idle
/// connection).
#[derive(Debug, Default)]
struct Half {
    /// The tick (`state >> FLAG_BITS`): bumped on every event that reports
    /// this direction and never reset, so a tick handed out before is never
    /// current again (61 bits: a billion events a second take 73 years to
    /// wrap it). Below it, the flags:
    ///
    /// - `READY`, cached readiness: set by an event, cleared by an
    ///   effective `clear_ready`;
    /// - `CLOSED`, ready for good: end of stream, hang-up or error was
    ///   reported, and those never go away. No clear forgets this
    ///   readiness: the event that reported it will not come again, so
    ///   forgetting it would strand the next reader (data and end of stream
    ///   often arrive in one event, and a short read clears as drained);
    /// - `RECHECK`, cleared without a drain since the registrar was last
    ///   asked ([`Registrar::poll_source`]'s `recheck`).
    state: u64,
    /// Every waiter (Decision 1); at most one per `will_wake` class. One
    /// is kept inline, in the 24 bytes a `Vec` takes: a `Vec` allocated 64
    /// bytes at the first waiter of every source and kept them (measured:
    /// one allocation per idle connection, `idle_conns` under dhat).
    waiters: SmallVec<[Waker; 1]>,
}

impl Half {
    const READY: u64 = 1;
    const CLOSED: u64 = 2;
    const RECHECK: u64 = 4;
    const FLAG_BITS: u32 = 3;

    fn has(&self, flag: u64) -> bool {
        self.state & flag != 0
    }

    fn set(&mut self, flag: u64, on: bool) {
        if on {
            self.state |= flag;
        } else {
            self.state &= !flag;
        }
    }

    fn tick(&self) -> u64 {
        self.state >> Self::FLAG_BITS
    }

    /// Ready, with a new tick.
    fn make_ready(&mut self) {
        let flags = self.state & ((1 << Self::FLAG_BITS) - 1);
        self.state = ((self.tick() + 1) << Self::FLAG_BITS) | flags | Self::READY;
    }
}

/// One slot of the table.
///
/// # Invariant
///
/// - `live` is set by a successful `register` and cleared by `deregister`;
///   only while it is set does a key with this `generation` name the slot.
/// - `in_poller` is set while the fd is in the OS poller and in the table's
///   fd set; whoever clears it (`close` or `deregister`) deletes the fd from
///   the poller and from the set, so each happens exactly once.
/// - In [`Mode::Oneshot`], outside an event not yet dispatched, the poller
///   has exactly `armed` armed, and `armed` is the interest minus the
///   directions cached ready.
#[derive(Debug, Default)]
struct Slot<S> {
    generation: u32,
    live: bool,
    closed: bool,
    in_poller: bool,
    fd: RawFd,
    interest: Dirs,
    armed: Dirs,
    halves: [Half; 2],
    /// The registrar's part ([`Registrar::Source`]), while `in_poller`.
    source: S,
}

impl<S> Slot<S> {
    fn matches(&self, generation: u32) -> bool {
        self.live && self.generation == generation
    }

    /// Moves every waiter of both directions into `out`.
    fn drain_all(&mut self, out: &mut Vec<Waker>) {
        for half in &mut self.halves {
            out.extend(half.waiters.drain(..));
        }
    }

    /// Marks `dirs` ready with a new tick and moves their waiters into `out`.
    fn make_ready(&mut self, dirs: Dirs, out: &mut impl Extend<Waker>) {
        for dir in Direction::ALL {
            if dirs.contains(dir) {
                let half = &mut self.halves[dir.index()];
                half.make_ready();
                out.extend(half.waiters.drain(..));
            }
        }
    }

    /// Records `event`: the directions it reports, within the interest,
    /// turn ready (for good on a hang-up or end of stream), and their
    /// waiters move into `out`.
    fn apply(&mut self, event: Readiness, out: &mut impl Extend<Waker>) {
        let mut ready = Dirs::NONE;
        if event.readable || event.hangup {
            ready = ready.with(Direction::Read);
        }
        if event.writable || event.hangup {
            ready = ready.with(Direction::Write);
        }
        let ready = Dirs(ready.0 & self.interest.0);
        self.make_ready(ready, out);
        for dir in Direction::ALL {
            let for_good = event.hangup || (event.read_closed && dir == Direction::Read);
            if for_good && ready.contains(dir) {
                self.halves[dir.index()].set(Half::CLOSED, true);
            }
        }
    }

    /// The directions a oneshot registration should have armed.
    fn wanted(&self) -> Dirs {
        let mut wanted = Dirs::NONE;
        for dir in Direction::ALL {
            if self.interest.contains(dir) && !self.halves[dir.index()].has(Half::READY) {
                wanted = wanted.with(dir);
            }
        }
        wanted
    }
}

/// The table's allocator: free slots and the registered fds.
#[derive(Debug)]
struct Alloc {
    free: Vec<u32>,
    /// Fds in the poller, and the slot of each: double registration is
    /// caught here, identically on every poller.
    fds: HashMap<RawFd, u32>,
    /// Live registrations (closed ones included).
    live: usize,
}

/// A thread-safe table of registered file descriptors and their cached
/// readiness, driving a [`Registrar`].
///
/// `Sources` implements the source half of the [`Reactor`](baton_protocol::Reactor)
/// contract: `register`, `reregister`, `deregister`, `close`, `poll_ready`,
/// `clear_ready`, the `registrations` count of
/// [`ReactorStats`](baton_protocol::reactor::ReactorStats), and the source part of
/// `park` ([`dispatch`](Sources::dispatch)) and `shutdown`. The reactor
/// forwards those methods here, and turns each OS event into one `dispatch`.
///
/// # Guarantees
///
/// - **No lost wake-ups**: `poll_ready` checks readiness and stores the
///   waker under the source's lock, which `dispatch` takes to set readiness
///   and take the waiters.
/// - **Every waiter is woken** (Decision 1): each direction keeps every
///   waker it was given; one that [`will_wake`](Waker::will_wake) a stored
///   waker replaces it.
/// - **Readiness is cached per direction** with a [`Tick`]; `clear_ready`
///   with an old tick keeps the newer readiness.
/// - **Re-arming** follows the [`Mode`], so an edge or oneshot poller never
///   waits for an edge that will not come.
/// - **Keys are never aliased**: a [`SourceKey`] carries the slot's
///   generation; a slot whose generation would wrap is retired. An event
///   tagged with a stale key is dropped by `dispatch`.
/// - **Bad input is an error value** with the same variant on every poller:
///   negative fd, double registration, unknown key, closed source, wrong
///   direction, shutdown. A failed registration leaves no slot behind.
/// - **Wakers are woken outside every lock** of the table (`dispatch` hands
///   them to its caller instead).
///
/// # What the reactor must still do
///
/// - Provide the [`Registrar`] (the OS calls, mapping `EPERM` and `EBADF`
///   per [`Registrar::add`]) and run the poller's wait.
/// - Turn each event into [`dispatch`](Sources::dispatch) and wake the
///   collected wakers once it holds no lock; use
///   [`RESERVED_KEY`](Sources::RESERVED_KEY) (never handed out) to tag its
///   own wake-up source.
/// - Treat `EINTR` as an empty turn, and unpark its wait.
///
/// # Implementation notes
///
/// Slots live in an append-only array whose elements never
/// move and whose memory is touched only as slots are added, each slot
/// behind its own `Mutex`. Finding a slot takes no lock, so
/// `poll_ready` and `clear_ready` lock one uncontended mutex, and sources
/// used from different threads never contend. A global `Mutex<Slab>` would
/// make every poll of every source contend for one lock: two threads
/// locking one shared mutex took 45 ns per lock and unlock, against 11 ns
/// for a mutex each (5 million each, 2-core machine). Only `register`
/// and `deregister` take the table-wide allocator lock. Lock order: a
/// slot's lock, then the allocator's; never the reverse.
#[derive(Debug)]
pub struct Sources<R: Registrar> {
    registrar: R,
    mode: Mode,
    slots: Pages<Mutex<Slot<R::Source>>>,
    alloc: Mutex<Alloc>,
    shutdown: AtomicBool,
}

/// A key is the slot index in the low 32 bits and the slot's generation in
/// the high 32 bits.
fn key(index: u32, generation: u32) -> SourceKey {
    SourceKey::from_raw((u64::from(generation) << 32) | u64::from(index))
}

fn split(key: SourceKey) -> (u32, u32) {
    let raw = key.into_raw();
    // Truncation is the encoding: low half index, high half generation.
    (raw as u32, (raw >> 32) as u32)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Wakers run outside every lock and the registrar does not panic, so a
    // poisoned lock still guards consistent state.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn not_in_interest(dir: Direction) -> Error {
    Error::Io(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("the source is not registered as {dir}"),
    ))
}

impl<R: Registrar> Sources<R> {
    /// A key no registration ever gets (its generation, `u32::MAX`, is
    /// retired): the reactor can tag its own wake-up source with it.
    pub const RESERVED_KEY: SourceKey = SourceKey::from_raw(u64::MAX);

    /// An empty table over `registrar`, re-arming per `mode`.
    pub fn new(registrar: R, mode: Mode) -> Sources<R> {
        Sources {
            registrar,
            mode,
            slots: Pages::new(),
            alloc: Mutex::new(Alloc {
                free: Vec::new(),
                fds: HashMap::new(),
                live: 0,
            }),
            shutdown: AtomicBool::new(false),
        }
    }

    /// The poller this table drives.
    pub fn registrar(&self) -> &R {
        &self.registrar
    }

    /// The slot `key` names, locked, or the error for a key that names none.
    fn slot(&self, key: SourceKey) -> Result<MutexGuard<'_, Slot<R::Source>>, Error> {
        let (index, generation) = split(key);
        let Some(slot) = self.slots.get(index) else {
            return Err(if self.is_shutdown() {
                Error::Shutdown
            } else {
                Error::NotRegistered
            });
        };
        let slot = lock(slot);
        // Checked under the slot's lock: `shutdown` sets the flag before it
        // drains each slot, so a waker stored here is either drained by it
        // or never stored.
        if self.shutdown.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        if !slot.matches(generation) {
            return Err(Error::NotRegistered);
        }
        Ok(slot)
    }

    /// As [`slot`](Sources::slot), and the source must not be closed.
    fn open_slot(&self, key: SourceKey) -> Result<MutexGuard<'_, Slot<R::Source>>, Error> {
        let slot = self.slot(key)?;
        if slot.closed {
            return Err(Error::Closed);
        }
        Ok(slot)
    }

    /// Registers `fd` for `interest`: [`Reactor::register`](baton_protocol::Reactor::register).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] of kind `InvalidInput` for a negative fd,
    /// [`Error::AlreadyRegistered`], [`Error::Shutdown`], and whatever
    /// [`Registrar::add`] returns; no slot is kept after an error.
    pub fn register(&self, fd: RawFd, interest: Interest) -> Result<SourceKey, Error> {
        if fd < 0 {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "negative file descriptor",
            )));
        }
        if self.shutdown.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        let index = loop {
            let mut alloc = lock(&self.alloc);
            if let Some(&holder) = alloc.fds.get(&fd) {
                drop(alloc);
                self.reclaim(fd, holder)?;
                continue;
            }
            // A new slot is appended under this lock, so indices are
            // handed out in order and each slot exists before its index
            // escapes.
            let index = match alloc.free.pop() {
                Some(index) => index,
                None => self.slots.push(Mutex::default()).map_err(|_| {
                    Error::Io(io::Error::new(
                        io::ErrorKind::OutOfMemory,
                        "every source slot is in use",
                    ))
                })?,
            };
            alloc.fds.insert(fd, index);
            alloc.live += 1;
            break index;
        };
        let mut slot = lock(
            self.slots
                .get(index)
                .expect("a slot exists before its index is handed out"),
        );
        let dirs = Dirs::from_interest(interest);
        slot.live = true;
        slot.closed = false;
        slot.in_poller = true;
        slot.fd = fd;
        slot.interest = dirs;
        slot.armed = dirs;
        // A reused slot starts over: an end of stream its last file
        // reported must not make the new one look ready for good (its reads
        // would meet `WouldBlock` with nothing left to clear). The tick
        // carries on, so no tick of the old file is current again.
        for half in &mut slot.halves {
            half.set(Half::READY | Half::CLOSED | Half::RECHECK, false);
        }
        let key = key(index, slot.generation);
        match self.registrar.add(fd, key, interest) {
            Ok(source) => slot.source = source,
            Err(e) => {
                // The key never escaped, so the slot is reused with the same
                // generation.
                slot.live = false;
                slot.in_poller = false;
                let mut alloc = lock(&self.alloc);
                alloc.fds.remove(&fd);
                alloc.free.push(index);
                alloc.live -= 1;
                return Err(e);
            }
        }
        Ok(key)
    }

    /// Settles a registration of `fd` that finds it held by slot `holder`:
    /// [`Error::AlreadyRegistered`] if the holder's file is still
    /// registered; otherwise its owner closed the fd behind the table's back,
    /// so the holder is closed (its waiters woken, to see
    /// [`Error::Closed`]) and gives the number up. `Ok` means "try again".
    fn reclaim(&self, fd: RawFd, holder: u32) -> Result<(), Error> {
        let Some(slot) = self.slots.get(holder) else {
            return Ok(());
        };
        let mut wakers = Vec::new();
        {
            let mut slot = lock(slot);
            // Not (yet, or any more) the holder: the caller looks again.
            if !(slot.live && slot.in_poller && slot.fd == fd) {
                return Ok(());
            }
            let key = key(holder, slot.generation);
            let interest = slot.interest.to_interest().unwrap_or(Interest::BOTH);
            if self
                .registrar
                .is_registered(fd, key, interest, &slot.source)
            {
                return Err(Error::AlreadyRegistered);
            }
            // Forget the old file; the fd number now names another one.
            let _ = self.registrar.delete(fd, mem::take(&mut slot.source));
            slot.in_poller = false;
            slot.closed = true;
            slot.drain_all(&mut wakers);
            lock(&self.alloc).fds.remove(&fd);
        }
        wake_all(wakers);
        Ok(())
    }

    /// Replaces a registration's interest:
    /// [`Reactor::reregister`](baton_protocol::Reactor::reregister). Directions that
    /// leave the interest lose their cached readiness and their waiters are
    /// woken; directions that join it start not ready.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`], [`Error::Closed`], [`Error::Shutdown`], or
    /// the OS error of [`Registrar::arm`] (the source is then reported
    /// ready in its new interest).
    pub fn reregister(&self, key: SourceKey, interest: Interest) -> Result<(), Error> {
        let mut wakers = Vec::new();
        let result = {
            let mut slot = self.open_slot(key)?;
            let new = Dirs::from_interest(interest);
            for dir in Direction::ALL {
                if !new.contains(dir) {
                    let half = &mut slot.halves[dir.index()];
                    half.set(Half::READY, false);
                    wakers.extend(half.waiters.drain(..));
                }
            }
            slot.interest = new;
            let arm = match self.mode {
                Mode::Edge => new,
                Mode::Oneshot => slot.wanted(),
            };
            slot.armed = arm;
            match self
                .registrar
                .arm(slot.fd, key, arm.to_interest(), &mut slot.source)
            {
                Ok(()) => Ok(()),
                Err(e) => {
                    slot.make_ready(new, &mut wakers);
                    Err(Error::Io(e))
                }
            }
        };
        wake_all(wakers);
        result
    }

    /// Removes a registration and frees its slot:
    /// [`Reactor::deregister`](baton_protocol::Reactor::deregister). Waiters are
    /// woken (and see [`Error::NotRegistered`] if they poll again). Events
    /// already collected for the key are dropped by
    /// [`dispatch`](Sources::dispatch), because the slot's generation moves
    /// on.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] for an unknown key; after
    /// [`shutdown`](Sources::shutdown) an unknown key is `Ok`.
    pub fn deregister(&self, key: SourceKey) -> Result<(), Error> {
        let (index, generation) = split(key);
        let unknown = || {
            if self.shutdown.load(Ordering::Acquire) {
                Ok(())
            } else {
                Err(Error::NotRegistered)
            }
        };
        let Some(slot) = self.slots.get(index) else {
            return unknown();
        };
        let mut wakers = Vec::new();
        {
            let mut slot = lock(slot);
            if !slot.matches(generation) {
                return unknown();
            }
            if slot.in_poller {
                let _ = self.registrar.delete(slot.fd, mem::take(&mut slot.source));
            }
            slot.drain_all(&mut wakers);
            for half in &mut slot.halves {
                half.set(Half::READY, false);
            }
            slot.live = false;
            slot.generation += 1;
            let mut alloc = lock(&self.alloc);
            if mem::take(&mut slot.in_poller) {
                alloc.fds.remove(&slot.fd);
            }
            if slot.generation != u32::MAX {
                alloc.free.push(index);
            }
            alloc.live -= 1;
        }
        wake_all(wakers);
        Ok(())
    }

    /// Closes a source through the protocol:
    /// [`Reactor::close`](baton_protocol::Reactor::close). Waiters are woken (they
    /// see [`Error::Closed`]), the fd leaves the poller and the fd set, later
    /// polls fail with `Closed`; the slot stays until `deregister`.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] for an unknown key, [`Error::Shutdown`] after
    /// shutdown. Closing twice is `Ok`.
    pub fn close(&self, key: SourceKey) -> Result<(), Error> {
        let mut wakers = Vec::new();
        {
            let mut slot = self.slot(key)?;
            if slot.closed {
                return Ok(());
            }
            slot.closed = true;
            slot.drain_all(&mut wakers);
            if mem::take(&mut slot.in_poller) {
                let _ = self.registrar.delete(slot.fd, mem::take(&mut slot.source));
                lock(&self.alloc).fds.remove(&slot.fd);
            }
        }
        wake_all(wakers);
        Ok(())
    }

    /// Whether `dir` of the source is ready:
    /// [`Reactor::poll_ready`](baton_protocol::Reactor::poll_ready).
    ///
    /// # Return value
    ///
    /// `Ready(Ok(tick))` while the direction's readiness is cached;
    /// `Pending` with `cx.waker()` stored otherwise; `Ready(Err(_))` with
    /// [`Error::Shutdown`], [`Error::NotRegistered`], [`Error::Closed`], or
    /// [`Error::Io`] of kind `InvalidInput` when `dir` is not in the
    /// interest.
    pub fn poll_ready(
        &self,
        key: SourceKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        let mut slot = match self.open_slot(key) {
            Ok(slot) => slot,
            Err(e) => return Poll::Ready(Err(e)),
        };
        if !slot.interest.contains(dir) {
            return Poll::Ready(Err(not_in_interest(dir)));
        }
        let half = &mut slot.halves[dir.index()];
        if half.has(Half::READY) {
            return Poll::Ready(Ok(Tick::from_raw(half.tick())));
        }
        let recheck = half.has(Half::RECHECK);
        half.set(Half::RECHECK, false);
        let fd = slot.fd;
        let waker = cx.waker();
        if let Some(event) = self
            .registrar
            .poll_source(&mut slot.source, fd, dir, recheck, waker)
        {
            // Other waiters of the direction, if any, see the readiness
            // too; the caller sees it in this call, and waking it from its
            // own poll would only poll it again (tokio treats that as a
            // yield, and wakes another worker to steal it).
            slot.halves[dir.index()]
                .waiters
                .retain(|w| !w.will_wake(waker));
            let mut wakers = SmallVec::<[Waker; 2]>::new();
            slot.apply(event, &mut wakers);
            let tick = Tick::from_raw(slot.halves[dir.index()].tick());
            drop(slot);
            if !wakers.is_empty() {
                wake_all(wakers);
            }
            return Poll::Ready(Ok(tick));
        }
        let half = &mut slot.halves[dir.index()];
        match half.waiters.iter_mut().find(|w| w.will_wake(waker)) {
            Some(stored) => stored.clone_from(waker),
            None => half.waiters.push(waker.clone()),
        }
        Poll::Pending
    }

    /// Forgets the cached readiness of `dir` unless a newer one arrived:
    /// [`Reactor::clear_ready`](baton_protocol::Reactor::clear_ready). An effective
    /// clear re-arms the poller per the [`Mode`]; if the poller refuses, the
    /// readiness is kept so the caller's next operation meets the OS error.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`], [`Error::NotRegistered`], [`Error::Closed`]; a
    /// stale tick or a direction outside the interest is not an error.
    pub fn clear_ready(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        self.clear(key, dir, tick, false)
    }

    /// [`clear_ready`](Sources::clear_ready) for a caller that knows the fd
    /// is drained ([`Reactor::clear_drained`](baton_protocol::Reactor::clear_drained)):
    /// in [`Mode::Edge`] no re-arm is needed, since the next data raises a
    /// new edge by itself; in [`Mode::Oneshot`] the interest must be
    /// re-enabled all the same.
    ///
    /// # Errors
    ///
    /// As [`clear_ready`](Sources::clear_ready).
    pub fn clear_drained(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        self.clear(key, dir, tick, true)
    }

    fn clear(
        &self,
        key: SourceKey,
        dir: Direction,
        tick: Tick,
        drained: bool,
    ) -> Result<(), Error> {
        let mut slot = self.open_slot(key)?;
        let half = &mut slot.halves[dir.index()];
        if !half.has(Half::READY) || half.tick() != tick.into_raw() || half.has(Half::CLOSED) {
            return Ok(());
        }
        half.set(Half::READY, false);
        half.set(Half::RECHECK, !drained);
        let arm = match self.mode {
            Mode::Edge if drained => return Ok(()),
            Mode::Edge => slot.interest,
            Mode::Oneshot => slot.armed.with(dir),
        };
        slot.armed = arm;
        if self
            .registrar
            .arm(slot.fd, key, arm.to_interest(), &mut slot.source)
            .is_err()
        {
            let mut wakers = Vec::new();
            slot.make_ready(Dirs::of(dir), &mut wakers);
            drop(slot);
            wake_all(wakers);
        }
        Ok(())
    }

    /// Records one OS event for `key` and moves the waiters it wakes into
    /// `wakers`, for the caller to wake once it holds no lock.
    ///
    /// Readable (or hang-up) makes the read direction ready, writable (or
    /// hang-up) the write direction, each only if it is in the interest; in
    /// [`Mode::Oneshot`] the directions still wanted are re-armed. An
    /// [`invalid`](Readiness::invalid) fd the registrar confirms gone
    /// closes the source instead (its waiters see [`Error::Closed`]); one it
    /// does not confirm counts as a hang-up.
    ///
    /// # Return value
    ///
    /// `true` if the event reached a registered, open source (what
    /// [`Turn::events`](baton_protocol::reactor::Turn::events) counts); `false` for
    /// an event of a source deregistered or closed meanwhile, which is
    /// dropped.
    pub fn dispatch(&self, key: SourceKey, event: Readiness, wakers: &mut Vec<Waker>) -> bool {
        let (index, generation) = split(key);
        let Some(slot) = self.slots.get(index) else {
            return false;
        };
        let mut slot = lock(slot);
        if !slot.matches(generation) || slot.closed {
            return false;
        }
        if event.invalid && slot.in_poller {
            let interest = slot.interest.to_interest().unwrap_or(Interest::BOTH);
            if !self
                .registrar
                .is_registered(slot.fd, key, interest, &slot.source)
            {
                // As `close`: the poller would report the dead fd on every
                // wait, and no operation on it can succeed any more.
                slot.closed = true;
                slot.in_poller = false;
                slot.drain_all(wakers);
                let _ = self.registrar.delete(slot.fd, mem::take(&mut slot.source));
                lock(&self.alloc).fds.remove(&slot.fd);
                return true;
            }
        }
        slot.apply(event, wakers);
        if self.mode == Mode::Oneshot {
            let wanted = slot.wanted();
            slot.armed = wanted;
            if let Some(interest) = wanted.to_interest()
                && self
                    .registrar
                    .arm(slot.fd, key, Some(interest), &mut slot.source)
                    .is_err()
            {
                let all = slot.interest;
                slot.make_ready(all, wakers);
            }
        }
        true
    }

    /// Wakes every waiter (outside the locks); every later call fails with
    /// [`Error::Shutdown`], except `deregister`, which succeeds. Slots stay
    /// until deregistered, so [`len`](Sources::len) still counts them.
    /// Idempotent.
    pub fn shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        let mut wakers = Vec::new();
        for slot in self.slots.iter() {
            lock(slot).drain_all(&mut wakers);
        }
        wake_all(wakers);
    }

    /// Whether [`shutdown`](Sources::shutdown) was called.
    pub fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Live registrations, closed ones included: what
    /// [`ReactorStats::registrations`](baton_protocol::reactor::ReactorStats::registrations)
    /// reports.
    pub fn len(&self) -> usize {
        lock(&self.alloc).live
    }

    /// Whether [`len`](Sources::len) is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    use super::*;

    /// A source's one waiter takes no allocation of its own, and the
    /// inline room costs nothing over a `Vec`.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn one_waiter_fits_inline() {
        assert_eq!(size_of::<SmallVec<[Waker; 1]>>(), size_of::<Vec<Waker>>());
        let mut half = Half::default();
        half.waiters.push(Waker::noop().clone());
        assert!(!half.waiters.spilled());
        // The flags and the tick share a word with room for the waiters.
        assert_eq!(size_of::<Half>(), 32);
    }

    #[test]
    fn flags_and_tick_share_a_word_without_touching_each_other() {
        let mut half = Half::default();
        half.set(Half::CLOSED | Half::RECHECK, true);
        half.make_ready();
        half.make_ready();
        assert_eq!(half.tick(), 2);
        assert!(half.has(Half::READY) && half.has(Half::CLOSED) && half.has(Half::RECHECK));
        half.set(Half::READY | Half::RECHECK, false);
        assert_eq!(half.tick(), 2);
        assert!(!half.has(Half::READY) && half.has(Half::CLOSED) && !half.has(Half::RECHECK));
        half.make_ready();
        assert_eq!(half.tick(), 3);
        assert!(half.has(Half::READY) && half.has(Half::CLOSED));
    }

    /// A registrar that records every call and can be told to fail.
    #[derive(Default)]
    struct Fake {
        calls: Mutex<Vec<String>>,
        fail_add: AtomicBool,
        fail_arm: AtomicBool,
        /// What `is_registered` answers: `false` plays an fd closed behind
        /// the table's back.
        alive: AtomicBool,
    }

    impl Fake {
        fn take(&self) -> Vec<String> {
            mem::take(&mut *self.calls.lock().unwrap())
        }
    }

    fn name(interest: Option<Interest>) -> &'static str {
        match interest {
            None => "none",
            Some(i) if i == Interest::READ => "r",
            Some(i) if i == Interest::WRITE => "w",
            Some(_) => "rw",
        }
    }

    impl Registrar for Fake {
        type Source = ();

        fn add(&self, fd: RawFd, _: SourceKey, interest: Interest) -> Result<(), Error> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("add {fd} {}", name(Some(interest))));
            if self.fail_add.load(Ordering::SeqCst) {
                return Err(Error::Io(io::Error::from_raw_os_error(9)));
            }
            Ok(())
        }

        fn arm(
            &self,
            fd: RawFd,
            _: SourceKey,
            interest: Option<Interest>,
            (): &mut (),
        ) -> io::Result<()> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("arm {fd} {}", name(interest)));
            if self.fail_arm.load(Ordering::SeqCst) {
                return Err(io::Error::from_raw_os_error(9));
            }
            Ok(())
        }

        fn delete(&self, fd: RawFd, (): ()) -> io::Result<()> {
            self.calls.lock().unwrap().push(format!("delete {fd}"));
            Ok(())
        }

        fn is_registered(&self, fd: RawFd, _: SourceKey, _: Interest, (): &()) -> bool {
            self.calls.lock().unwrap().push(format!("probe {fd}"));
            self.alive.load(Ordering::SeqCst)
        }
    }

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count::default());
        (count.clone(), Waker::from(count))
    }

    fn poll(
        s: &Sources<Fake>,
        key: SourceKey,
        dir: Direction,
        w: &Waker,
    ) -> Poll<Result<Tick, Error>> {
        s.poll_ready(key, dir, &mut Context::from_waker(w))
    }

    const READ: Readiness = Readiness {
        readable: true,
        writable: false,
        hangup: false,
        read_closed: false,
        invalid: false,
    };
    const WRITE: Readiness = Readiness {
        readable: false,
        writable: true,
        hangup: false,
        read_closed: false,
        invalid: false,
    };

    #[test]
    fn invalid_fd_leaves_the_poller_and_closes_the_source() {
        let s = Sources::new(Fake::default(), Mode::Oneshot);
        let key = s.register(6, Interest::READ).unwrap();
        let (count, w) = counter();
        assert!(poll(&s, key, Direction::Read, &w).is_pending());
        s.registrar().take();
        let nval = Readiness {
            hangup: true,
            invalid: true,
            ..Readiness::default()
        };
        let mut wakers = Vec::new();
        assert!(s.dispatch(key, nval, &mut wakers));
        wake_all(wakers);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(s.registrar().take(), ["probe 6", "delete 6"]);
        assert!(matches!(
            poll(&s, key, Direction::Read, &w),
            Poll::Ready(Err(Error::Closed))
        ));
        // A report still queued is dropped; deregistering deletes nothing
        // twice, and the number is free for a new file.
        let mut wakers = Vec::new();
        assert!(!s.dispatch(key, nval, &mut wakers));
        s.deregister(key).unwrap();
        assert!(s.registrar().take().is_empty());
        s.register(6, Interest::READ).unwrap();
    }

    #[test]
    fn invalid_report_for_a_live_fd_is_a_hangup() {
        let s = Sources::new(Fake::default(), Mode::Oneshot);
        s.registrar().alive.store(true, Ordering::SeqCst);
        let key = s.register(6, Interest::READ).unwrap();
        let (_, w) = counter();
        let nval = Readiness {
            hangup: true,
            invalid: true,
            ..Readiness::default()
        };
        let mut wakers = Vec::new();
        assert!(s.dispatch(key, nval, &mut wakers));
        assert!(matches!(
            poll(&s, key, Direction::Read, &w),
            Poll::Ready(Ok(_))
        ));
        s.deregister(key).unwrap();
    }

    #[test]
    fn stale_event_after_deregister_and_reuse_is_dropped() {
        let s = Sources::new(Fake::default(), Mode::Edge);
        let old = s.register(5, Interest::READ).unwrap();
        s.deregister(old).unwrap();
        let new = s.register(5, Interest::READ).unwrap();
        assert_ne!(old, new);
        assert_eq!(split(old).0, split(new).0, "the slot is reused");
        let (before, w) = counter();
        assert!(poll(&s, new, Direction::Read, &w).is_pending());
        let mut wakers = Vec::new();
        // An event collected for the old key before the deregistration.
        assert!(!s.dispatch(old, READ, &mut wakers));
        assert!(wakers.is_empty());
        // Still pending: the stale event made nothing ready. A waker of its
        // own, so the counts below do not depend on `will_wake` telling two
        // polls with one waker apart (Miri does not promise it can).
        let (after, w) = counter();
        assert!(poll(&s, new, Direction::Read, &w).is_pending());
        assert!(s.dispatch(new, READ, &mut wakers));
        wake_all(wakers);
        assert_eq!(before.0.load(Ordering::SeqCst), 1);
        assert_eq!(after.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn edge_clear_after_a_drain_skips_the_rearm() {
        let s = Sources::new(Fake::default(), Mode::Edge);
        let key = s.register(4, Interest::BOTH).unwrap();
        s.registrar().take();
        let mut wakers = Vec::new();
        let (_, w) = counter();
        // A clear with data possibly left re-arms, so the OS re-reports it.
        s.dispatch(key, READ, &mut wakers);
        let Poll::Ready(Ok(tick)) = poll(&s, key, Direction::Read, &w) else {
            panic!("not ready after an event");
        };
        s.clear_ready(key, Direction::Read, tick).unwrap();
        assert_eq!(s.registrar().take(), ["arm 4 rw"]);
        // A clear after a drain does not: the next data is a new edge.
        s.dispatch(key, READ, &mut wakers);
        let Poll::Ready(Ok(tick)) = poll(&s, key, Direction::Read, &w) else {
            panic!("not ready after an event");
        };
        s.clear_drained(key, Direction::Read, tick).unwrap();
        assert!(s.registrar().take().is_empty(), "a drained clear re-armed");
        assert!(poll(&s, key, Direction::Read, &w).is_pending());
        // And a stale tick clears nothing, drained or not.
        s.dispatch(key, READ, &mut wakers);
        s.clear_drained(key, Direction::Read, tick).unwrap();
        assert!(poll(&s, key, Direction::Read, &w).is_ready());
    }

    #[test]
    fn end_of_stream_survives_every_clear() {
        let s = Sources::new(Fake::default(), Mode::Edge);
        let key = s.register(8, Interest::BOTH).unwrap();
        let mut wakers = Vec::new();
        let (_, w) = counter();
        // Data and the peer's FIN in one event: after a short read clears
        // as drained, the reader must still find the end of stream.
        let fin = Readiness {
            read_closed: true,
            ..READ
        };
        s.dispatch(key, fin, &mut wakers);
        let Poll::Ready(Ok(tick)) = poll(&s, key, Direction::Read, &w) else {
            panic!("not ready after an event");
        };
        s.clear_drained(key, Direction::Read, tick).unwrap();
        s.clear_ready(key, Direction::Read, tick).unwrap();
        assert!(
            poll(&s, key, Direction::Read, &w).is_ready(),
            "end of stream was forgotten"
        );
        // Writing is unaffected by a read-side close.
        s.dispatch(key, WRITE, &mut wakers);
        let Poll::Ready(Ok(tick)) = poll(&s, key, Direction::Write, &w) else {
            panic!("not writable after an event");
        };
        s.clear_drained(key, Direction::Write, tick).unwrap();
        assert!(poll(&s, key, Direction::Write, &w).is_pending());
    }

    #[test]
    fn end_of_stream_does_not_outlive_its_registration() {
        let s = Sources::new(Fake::default(), Mode::Edge);
        let old = s.register(8, Interest::BOTH).unwrap();
        let mut wakers = Vec::new();
        let hangup = Readiness {
            hangup: true,
            read_closed: true,
            ..READ
        };
        s.dispatch(old, hangup, &mut wakers);
        s.deregister(old).unwrap();
        // The next registration takes the same slot; its file has not
        // reported anything yet, and a clear must forget what it reports.
        let key = s.register(8, Interest::BOTH).unwrap();
        let (_, w) = counter();
        for dir in Direction::ALL {
            assert!(poll(&s, key, dir, &w).is_pending(), "{dir:?} ready at once");
        }
        s.dispatch(key, READ, &mut wakers);
        s.dispatch(key, WRITE, &mut wakers);
        for dir in Direction::ALL {
            let Poll::Ready(Ok(tick)) = poll(&s, key, dir, &w) else {
                panic!("{dir:?} not ready after an event");
            };
            s.clear_drained(key, dir, tick).unwrap();
            assert!(
                poll(&s, key, dir, &w).is_pending(),
                "{dir:?} kept the old file's end of stream"
            );
        }
    }

    #[test]
    fn oneshot_clear_after_a_drain_still_rearms() {
        let s = Sources::new(Fake::default(), Mode::Oneshot);
        let key = s.register(6, Interest::READ).unwrap();
        s.registrar().take();
        let mut wakers = Vec::new();
        let (_, w) = counter();
        s.dispatch(key, READ, &mut wakers);
        let Poll::Ready(Ok(tick)) = poll(&s, key, Direction::Read, &w) else {
            panic!("not ready after an event");
        };
        s.registrar().take();
        s.clear_drained(key, Direction::Read, tick).unwrap();
        // The event disarmed the fd: without a re-arm no data could ever
        // be reported again.
        assert_eq!(s.registrar().take(), ["arm 6 r"]);
    }

    #[test]
    fn failed_registration_leaves_no_slot() {
        let s = Sources::new(Fake::default(), Mode::Oneshot);
        s.registrar().fail_add.store(true, Ordering::SeqCst);
        assert!(matches!(s.register(5, Interest::BOTH), Err(Error::Io(_))));
        assert_eq!(s.len(), 0);
        s.registrar().fail_add.store(false, Ordering::SeqCst);
        // The fd is not left in the fd set either.
        let key = s.register(5, Interest::BOTH).unwrap();
        assert_eq!(s.len(), 1);
        s.deregister(key).unwrap();
    }

    #[test]
    fn oneshot_keeps_armed_exactly_the_directions_not_ready() {
        let s = Sources::new(Fake::default(), Mode::Oneshot);
        let key = s.register(3, Interest::BOTH).unwrap();
        assert_eq!(s.registrar().take(), ["add 3 rw"]);
        let mut wakers = Vec::new();
        // Writable: the event disarmed both; Read is still wanted.
        s.dispatch(key, WRITE, &mut wakers);
        assert_eq!(s.registrar().take(), ["arm 3 r"]);
        // Readable: nothing is wanted any more, nothing is armed.
        s.dispatch(key, READ, &mut wakers);
        assert!(s.registrar().take().is_empty());
        let (_, w) = counter();
        let Poll::Ready(Ok(tick)) = poll(&s, key, Direction::Read, &w) else {
            panic!("read is ready");
        };
        // A stale tick changes nothing.
        s.clear_ready(key, Direction::Read, Tick::from_raw(tick.into_raw() + 7))
            .unwrap();
        assert!(s.registrar().take().is_empty());
        s.clear_ready(key, Direction::Read, tick).unwrap();
        assert_eq!(s.registrar().take(), ["arm 3 r"]);
        s.reregister(key, Interest::WRITE).unwrap();
        assert_eq!(
            s.registrar().take(),
            ["arm 3 none"],
            "write is cached ready"
        );
        s.deregister(key).unwrap();
        assert_eq!(s.registrar().take(), ["delete 3"]);
    }

    #[test]
    fn edge_rearms_the_full_interest_on_clear_only() {
        let s = Sources::new(Fake::default(), Mode::Edge);
        let key = s.register(3, Interest::BOTH).unwrap();
        let mut wakers = Vec::new();
        s.dispatch(key, WRITE, &mut wakers);
        s.dispatch(key, READ, &mut wakers);
        assert_eq!(s.registrar().take(), ["add 3 rw"]);
        let (_, w) = counter();
        let Poll::Ready(Ok(tick)) = poll(&s, key, Direction::Read, &w) else {
            panic!("read is ready");
        };
        s.clear_ready(key, Direction::Read, tick).unwrap();
        s.clear_ready(key, Direction::Read, tick).unwrap();
        assert_eq!(
            s.registrar().take(),
            ["arm 3 rw"],
            "one re-arm per effective clear"
        );
        s.deregister(key).unwrap();
    }

    #[test]
    fn refused_rearm_reports_ready() {
        let s = Sources::new(Fake::default(), Mode::Oneshot);
        let key = s.register(3, Interest::READ).unwrap();
        let mut wakers = Vec::new();
        s.dispatch(key, READ, &mut wakers);
        let (_, w) = counter();
        let Poll::Ready(Ok(tick)) = poll(&s, key, Direction::Read, &w) else {
            panic!("read is ready");
        };
        s.registrar().fail_arm.store(true, Ordering::SeqCst);
        s.clear_ready(key, Direction::Read, tick).unwrap();
        // The next operation meets the OS error instead of waiting forever.
        assert!(matches!(poll(&s, key, Direction::Read, &w), Poll::Ready(Ok(t)) if t != tick));
        s.deregister(key).unwrap();
    }

    #[test]
    fn hangup_makes_both_directions_of_the_interest_ready() {
        let s = Sources::new(Fake::default(), Mode::Edge);
        let both = s.register(3, Interest::BOTH).unwrap();
        let read = s.register(4, Interest::READ).unwrap();
        let hangup = Readiness {
            hangup: true,
            ..Readiness::default()
        };
        let mut wakers = Vec::new();
        s.dispatch(both, hangup, &mut wakers);
        s.dispatch(read, hangup, &mut wakers);
        let (_, w) = counter();
        assert!(poll(&s, both, Direction::Read, &w).is_ready());
        assert!(poll(&s, both, Direction::Write, &w).is_ready());
        assert!(poll(&s, read, Direction::Read, &w).is_ready());
        s.reregister(read, Interest::BOTH).unwrap();
        assert!(
            poll(&s, read, Direction::Write, &w).is_pending(),
            "no readiness outside the interest"
        );
    }

    #[test]
    fn a_number_reused_behind_the_tables_back_is_reclaimed() {
        let s = Sources::new(Fake::default(), Mode::Edge);
        s.registrar().alive.store(true, Ordering::SeqCst);
        let old = s.register(5, Interest::READ).unwrap();
        assert!(matches!(
            s.register(5, Interest::READ),
            Err(Error::AlreadyRegistered)
        ));
        let (count, w) = counter();
        assert!(poll(&s, old, Direction::Read, &w).is_pending());
        s.registrar().take();
        // The owner closed fd 5 without deregistering; 5 now names another
        // file.
        s.registrar().alive.store(false, Ordering::SeqCst);
        let new = s.register(5, Interest::READ).unwrap();
        assert_eq!(s.registrar().take(), ["probe 5", "delete 5", "add 5 r"]);
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the stale waiter is woken"
        );
        assert!(matches!(
            poll(&s, old, Direction::Read, &w),
            Poll::Ready(Err(Error::Closed))
        ));
        assert_eq!(s.len(), 2);
        s.deregister(old).unwrap();
        assert!(
            s.registrar().take().is_empty(),
            "the new file stays in the poller"
        );
        s.deregister(new).unwrap();
        assert_eq!(s.registrar().take(), ["delete 5"]);
    }

    #[test]
    fn keys_are_never_reused() {
        let s = Sources::new(Fake::default(), Mode::Edge);
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let key = s.register(3, Interest::READ).unwrap();
            assert!(seen.insert(key));
            s.deregister(key).unwrap();
        }
        assert!(!seen.contains(&Sources::<Fake>::RESERVED_KEY));
    }

    #[test]
    fn shutdown_wakes_and_then_refuses() {
        let s = Sources::new(Fake::default(), Mode::Edge);
        let key = s.register(3, Interest::READ).unwrap();
        let (count, w) = counter();
        assert!(poll(&s, key, Direction::Read, &w).is_pending());
        s.shutdown();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(matches!(
            poll(&s, key, Direction::Read, &w),
            Poll::Ready(Err(Error::Shutdown))
        ));
        let unknown = SourceKey::from_raw(1 << 20);
        assert!(matches!(
            poll(&s, unknown, Direction::Read, &w),
            Poll::Ready(Err(Error::Shutdown))
        ));
        assert!(matches!(
            s.register(4, Interest::READ),
            Err(Error::Shutdown)
        ));
        s.deregister(unknown).unwrap();
        s.deregister(key).unwrap();
        assert_eq!(s.len(), 0);
    }
}
