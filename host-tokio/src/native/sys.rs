//! The tokio glue of [`TokioReactor`](super::TokioReactor): the [`Os`] of
//! reactor-kit's driver, with tokio's reactor as the poller of every
//! source.
//!
//! - [`TokioRegistrar`]: each source is a tokio `AsyncFd`, edge-triggered
//!   in tokio's epoll. Its readiness is asked for when the table finds a
//!   direction not ready ([`Registrar::poll_source`]); a waker of the
//!   registration's own ([`FanOut`]) waits in tokio for the next event and
//!   wakes every protocol waiter of the direction.
//! - The waiting half: a small epoll with the eventfd that `unpark`
//!   writes, and nothing else, which a host watches as the guest fd (for
//!   the timers' turns and unparks).

use std::any::Any;
use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_protocol::reactor::SourceKey;
use baton_protocol::reactor::wake_all;
use baton_protocol::{Direction, Error, Interest};
use baton_reactor_kit::{Mode, Os, Readiness, Registrar};
use mio::{Events, Token};
use smallvec::SmallVec;
use tokio::io::unix::AsyncFd;
use tokio::runtime::Handle;

/// The token of the unpark eventfd, the only source of the small epoll.
const UNPARK: Token = Token(0);

/// The tokio glue, as the kit's driver asks for it.
#[derive(Debug)]
pub(crate) enum Tokio {}

impl Os for Tokio {
    type Registrar = TokioRegistrar;
    type Waiter = Waiter;

    /// tokio registers edge-triggered; a clear without a drain is rechecked
    /// by [`TokioRegistrar::poll_source`] instead of re-armed.
    const MODE: Mode = Mode::Edge;
    /// The host's timer (tokio's, whole milliseconds) ends the waits that
    /// fire timers, as for an epoll guest.
    const RESOLUTION: Duration = Duration::from_millis(2);

    fn open() -> io::Result<(TokioRegistrar, Waiter)> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let unparker = Arc::new(mio::Waker::new(poll.registry(), UNPARK)?);
        let runtime = OnceLock::new();
        if let Ok(handle) = Handle::try_current() {
            let _ = runtime.set(handle);
        }
        Ok((
            TokioRegistrar {
                own: OnceLock::new(),
                making: Mutex::new(()),
                registry,
                unparker,
                runtime,
            },
            Waiter {
                poll,
                events: Events::with_capacity(4),
            },
        ))
    }

    fn wait(
        registrar: &TokioRegistrar,
        waiter: &mut Waiter,
        deadline: Option<Instant>,
    ) -> io::Result<()> {
        let timeout = match registrar.own.get() {
            // Driven by hand: tokio's I/O driver turns here, and the
            // eventfd's event is collected after it.
            Some(own) => {
                own.turn(deadline);
                Some(Duration::ZERO)
            }
            None => deadline.map(|d| d.saturating_duration_since(Instant::now())),
        };
        waiter.poll.poll(&mut waiter.events, timeout)
    }

    fn events(_: &Waiter) -> impl Iterator<Item = (SourceKey, Readiness)> + '_ {
        // Only the eventfd is in this epoll: the sources' events come from
        // tokio, through `poll_source`.
        std::iter::empty()
    }

    fn notify(registrar: &TokioRegistrar) {
        // An eventfd write fails only if the fd is closed.
        let _ = registrar.unparker.wake();
    }

    fn guest_fd(registrar: &TokioRegistrar) -> Option<BorrowedFd<'_>> {
        Some(registrar.registry.as_fd())
    }

    /// The host's runtime, if the reactor was made outside one; a reactor
    /// already bound keeps its runtime.
    fn host_runtime(registrar: &TokioRegistrar, runtime: &dyn Any) {
        if let Some(handle) = runtime.downcast_ref::<Handle>() {
            let _ = registrar.runtime.set(handle.clone());
        }
    }
}

/// The registration half: tokio's runtime for the sources, and the
/// eventfd (in the small epoll) that ends a wait.
#[derive(Debug)]
pub(crate) struct TokioRegistrar {
    /// A runtime of the reactor's own, for a reactor driven by hand (its
    /// `park` called by a baton executor or a test, with no host): made
    /// at the first registration that finds no runtime given or current.
    /// Declared first, so dropped before the epoll it watches.
    own: OnceLock<Own>,
    /// Serializes the making of `own`.
    making: Mutex<()>,
    registry: mio::Registry,
    unparker: Arc<mio::Waker>,
    /// The runtime whose reactor the sources join.
    runtime: OnceLock<Handle>,
}

impl TokioRegistrar {
    /// The runtime the sources join, and whether it is the reactor's own.
    fn runtime(&self) -> Result<(&Handle, bool), Error> {
        if let Some(handle) = self.runtime.get() {
            return Ok((handle, self.own.get().is_some()));
        }
        if let Ok(current) = Handle::try_current() {
            return Ok((self.runtime.get_or_init(|| current), false));
        }
        let _making = self.making.lock().unwrap_or_else(PoisonError::into_inner);
        if self.own.get().is_none() {
            let own = Own::new(&self.registry).map_err(Error::Io)?;
            let _ = self.own.set(own);
        }
        let own = self.own.get().ok_or(Error::NoRuntime)?;
        Ok((self.runtime.get_or_init(|| own.handle.clone()), true))
    }
}

/// The reactor's own tokio runtime (current-thread), turned by `park`.
#[derive(Debug)]
struct Own {
    /// The small epoll, in this runtime's reactor: a wait ends when it
    /// turns readable (an unpark, or an event a [`FanOut`] passed on).
    guest: AsyncFd<Fd>,
    /// The runtime's handle, for the registrations.
    handle: Handle,
    /// Always `Some` until dropped (taken to shut it down in the
    /// background, which is allowed from any context).
    rt: Option<tokio::runtime::Runtime>,
}

impl Own {
    fn new(registry: &mio::Registry) -> io::Result<Own> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let guest = {
            let _entered = rt.enter();
            // SAFETY: the registrar's epoll fd stays open, naming the same
            // epoll, until the registrar is dropped, and `own` (declared
            // before it) is dropped first.
            unsafe {
                AsyncFd::register_with_interest(
                    Fd(registry.as_raw_fd()),
                    tokio::io::Interest::READABLE,
                )
            }
            .map_err(io::Error::from)?
        };
        Ok(Own {
            guest,
            handle: rt.handle().clone(),
            rt: Some(rt),
        })
    }

    /// One wait of a park driven by hand: tokio's I/O driver turns until
    /// `deadline`, or the small epoll turns readable; a passed deadline
    /// makes it one non-blocking turn.
    fn turn(&self, deadline: Option<Instant>) {
        let Some(rt) = &self.rt else {
            return;
        };
        rt.block_on(async {
            let readable = async {
                if let Ok(mut guard) = self.guest.readable().await {
                    guard.clear_ready();
                }
            };
            match deadline {
                // `yield_now` wakes after one non-blocking driver turn.
                Some(deadline) if deadline <= Instant::now() => tokio::task::yield_now().await,
                Some(deadline) => {
                    let _ = tokio::time::timeout_at(deadline.into(), readable).await;
                }
                None => readable.await,
            }
        });
    }
}

impl Drop for Own {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Registrar for TokioRegistrar {
    type Source = Option<Registration>;

    /// Registered for both directions whatever `interest`: tokio cannot
    /// change a registration's interest, and the table's `reregister` may
    /// add a direction; the table filters out what the interest leaves out.
    fn add(&self, fd: RawFd, _: SourceKey, _: Interest) -> Result<Self::Source, Error> {
        let identity = identity(fd).map_err(Error::Io)?;
        let (runtime, own) = self.runtime()?;
        let _entered = runtime.enter();
        let notify = own.then(|| Arc::clone(&self.unparker));
        Registration::new(fd, identity, notify).map(Some)
    }

    fn arm(
        &self,
        _: RawFd,
        _: SourceKey,
        interest: Option<Interest>,
        source: &mut Self::Source,
    ) -> io::Result<()> {
        // tokio keeps both directions armed; the one case an epoll reactor
        // re-arms for (a clear without a drain) is rechecked at the next
        // poll. A direction that left the interest (`reregister`) forgets
        // its waiters, so tokio's next event of it wakes no one.
        if let Some(registration) = source {
            for dir in Direction::ALL {
                if !interest.is_some_and(|interest| interest.contains(dir)) {
                    registration.dirs[dir.index()].waiters.list().clear();
                }
            }
        }
        Ok(())
    }

    fn delete(&self, fd: RawFd, source: Self::Source) -> io::Result<()> {
        let Some(registration) = source else {
            return Ok(());
        };
        match identity(fd) {
            Ok(identity) if identity != registration.identity => {
                // The owner closed the fd without deregistering (Decision
                // 7) and the number names another file now: tokio's
                // deregistration (`EPOLL_CTL_DEL` by number) would remove
                // that file's registration, if it has one in tokio's epoll.
                // epoll forgot the closed file by itself; tokio's record of
                // it is kept, not dropped.
                mem::forget(registration);
            }
            // Dropping the `AsyncFd` takes the fd out of tokio's reactor (a
            // closed fd is out already, and the `EBADF` is ignored).
            _ => drop(registration),
        }
        Ok(())
    }

    fn is_registered(&self, fd: RawFd, _: SourceKey, _: Interest, source: &Self::Source) -> bool {
        source
            .as_ref()
            .is_some_and(|registration| identity(fd).ok() == Some(registration.identity))
    }

    fn poll_source(
        &self,
        source: &mut Self::Source,
        fd: RawFd,
        dir: Direction,
        recheck: bool,
        waker: &Waker,
    ) -> Option<Readiness> {
        source.as_ref()?.poll(fd, dir, recheck, waker)
    }
}

/// A registered fd, as tokio's `AsyncFd` wants it: the number only (the
/// protocol's caller owns the file).
#[derive(Debug)]
struct Fd(RawFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// The waiting half: the small epoll and its event buffer. Only the
/// (serialized) park touches it.
#[derive(Debug)]
pub(crate) struct Waiter {
    poll: mio::Poll,
    events: Events,
}

/// One source in tokio's reactor, with the protocol waiters tokio's
/// wake-ups are for.
///
/// Owned by the table's slot alone, so that the `AsyncFd` leaves tokio's
/// reactor in `delete`, while the fd is still open: tokio deregisters by
/// fd number, and a drop that came later (from a wake-up in flight on
/// another thread, say) could remove the registration of the next file
/// given that number.
#[derive(Debug)]
pub(crate) struct Registration {
    fd: AsyncFd<Fd>,
    /// The file's device and inode when registered.
    identity: (u64, u64),
    /// Per direction (read, write).
    dirs: [Half; 2],
}

#[derive(Debug)]
struct Half {
    waiters: Arc<Waiters>,
    /// The waker tokio keeps while the direction waits: a [`FanOut`] of
    /// `waiters`.
    fan_out: Waker,
}

/// The protocol wakers waiting for tokio's next event of one direction.
#[derive(Debug)]
struct Waiters {
    list: Mutex<SmallVec<[Waker; 1]>>,
    /// For a reactor driven by hand: the eventfd that ends its wait, so
    /// that an event ends the park as on an OS poller.
    notify: Option<Arc<mio::Waker>>,
}

impl Waiters {
    fn list(&self) -> std::sync::MutexGuard<'_, SmallVec<[Waker; 1]>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Registration {
    fn new(
        fd: RawFd,
        identity: (u64, u64),
        notify: Option<Arc<mio::Waker>>,
    ) -> Result<Registration, Error> {
        let interest = tokio::io::Interest::READABLE | tokio::io::Interest::WRITABLE;
        // SAFETY: `AsyncFd` requires the fd to stay open, naming the same
        // file, until the `AsyncFd` is dropped. That is the protocol's
        // registration contract (Decision 7: a source is deregistered
        // before its fd is closed), and the `AsyncFd` is dropped on
        // deregistration, in `delete`. A caller that breaks the contract
        // cannot make tokio touch memory it does not own (tokio finds its
        // registrations by its own token, not by fd number); what is left
        // is the fd number itself, which `delete` does not hand to tokio
        // once it names another file.
        let fd = unsafe { AsyncFd::register_with_interest(Fd(fd), interest) }
            .map_err(|e| os_error(e.into()))?;
        Ok(Registration {
            fd,
            identity,
            dirs: Direction::ALL.map(|_| {
                let waiters = Arc::new(Waiters {
                    list: Mutex::default(),
                    notify: notify.clone(),
                });
                Half {
                    fan_out: Waker::from(Arc::new(FanOut(Arc::clone(&waiters)))),
                    waiters,
                }
            }),
        })
    }

    /// [`Registrar::poll_source`] for this registration.
    fn poll(&self, fd: RawFd, dir: Direction, recheck: bool, waker: &Waker) -> Option<Readiness> {
        let half = &self.dirs[dir.index()];
        if recheck && fd_ready(fd, dir) {
            return Some(ready(dir, false));
        }
        // Stored before tokio is asked, so that a `FanOut` woken by an event
        // that lands meanwhile finds it; and not under the lock while tokio
        // is asked, which may call the `FanOut` from inside the call (its
        // cooperative budget, spent, wakes the waker it is given at once on
        // a thread without a tokio scheduler). If tokio has a readiness, the
        // waker stays stored: the caller's next wait stores it again anyway.
        {
            let mut waiters = half.waiters.list();
            match waiters.iter_mut().find(|w| w.will_wake(waker)) {
                Some(stored) => stored.clone_from(waker),
                None => waiters.push(waker.clone()),
            }
        }
        let mut cx = Context::from_waker(&half.fan_out);
        let polled = match dir {
            Direction::Read => self.fd.poll_read_ready(&mut cx),
            Direction::Write => self.fd.poll_write_ready(&mut cx),
        };
        match polled {
            Poll::Ready(Ok(mut guard)) => {
                let closed = match dir {
                    Direction::Read => guard.ready().is_read_closed(),
                    Direction::Write => false,
                };
                // Consumed here, under tokio's tick: an event newer than
                // this guard's stays set in tokio for the next poll.
                guard.clear_ready();
                Some(ready(dir, closed))
            }
            // tokio's reactor is gone (its runtime is shutting down, and
            // the host with it): the caller's operation meets whatever the
            // fd says, and the host's shutdown follows.
            Poll::Ready(Err(_)) => Some(ready(dir, false)),
            Poll::Pending => None,
        }
    }
}

/// The readiness of `dir` reported by tokio (or the recheck), with end of
/// stream for a read side tokio saw closed.
fn ready(dir: Direction, read_closed: bool) -> Readiness {
    Readiness {
        readable: dir == Direction::Read,
        writable: dir == Direction::Write,
        read_closed,
        ..Readiness::default()
    }
}

/// The waker tokio keeps for one direction of a registration: wakes every
/// protocol waiter of it.
struct FanOut(Arc<Waiters>);

impl Wake for FanOut {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waiters = mem::take(&mut *self.0.list());
        // Foreign wakers may panic: the others are woken all the same, and
        // nothing reaches tokio's driver.
        wake_all(waiters);
        if let Some(notify) = &self.0.notify {
            let _ = notify.wake();
        }
    }
}

/// The errors of registration, as the protocol names them.
fn os_error(e: io::Error) -> Error {
    match e.raw_os_error() {
        Some(libc::EPERM) => Error::Unsupported("a regular file or directory cannot be polled"),
        Some(libc::EEXIST) => Error::AlreadyRegistered,
        _ => Error::Io(e),
    }
}

/// The identity of the file `fd` names: `fstat`'s device and inode.
fn identity(fd: RawFd) -> io::Result<(u64, u64)> {
    // SAFETY: `stat` is plain old data, so all zeroes is a valid value, and
    // `fstat` writes it only through the pointer it is given, which points
    // to it; an `fd` that names no file is the `EBADF` returned.
    let mut stat: libc::stat = unsafe { mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(fd, &raw mut stat) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((stat.st_dev, stat.st_ino))
}

/// Whether `fd` is ready for `dir` now, asked of the fd itself: `poll(2)`
/// with no timeout. An error or hang-up counts as ready (the operation
/// meets it).
fn fd_ready(fd: RawFd, dir: Direction) -> bool {
    let events = match dir {
        Direction::Read => libc::POLLIN | libc::POLLRDHUP,
        Direction::Write => libc::POLLOUT,
    };
    let mut pollfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid `pollfd`, pointed to for the call's length; a
    // zero timeout returns at once.
    let n = unsafe { libc::poll(&raw mut pollfd, 1, 0) };
    n != 0
}
