//! [`GuestTurns`]: a hosted reactor's turns, run in the waker its host's
//! reactor calls when the guest fd turns readable.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_protocol::Reactor;

/// How a host's own reactor (tokio's `AsyncFd`, async-io's `Async`)
/// watches a guest reactor's [`guest_fd`](Reactor::guest_fd) for
/// [`GuestTurns`].
pub trait GuestFdWatch: Send + Sync + 'static {
    /// The reactor whose fd this watches.
    fn reactor(&self) -> &dyn Reactor;

    /// `Ready(Ok(()))` if the fd turned readable since the last `Ready`
    /// (the readiness is consumed: the next call waits for a newer one);
    /// otherwise `Pending`, with `cx`'s waker stored, to be woken when it
    /// turns readable.
    ///
    /// # Errors
    ///
    /// The host's reactor can no longer watch the fd (it shut down): the
    /// turns stop.
    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// [`GuestTurns::flags`]: a thread is running turns (the others leave
/// them to it).
const RUNNING: u8 = 1;
/// [`GuestTurns::flags`]: while [`RUNNING`], another kick asked to look at
/// the fd again.
const AGAIN: u8 = 2;
/// [`GuestTurns::flags`]: while [`RUNNING`], another kick asked for one
/// more turn whatever the fd says (a timer fell due).
const FORCE: u8 = 4;

/// A hosted reactor's non-blocking turns, run by whoever
/// [`kick`](GuestTurns::kick)s: its own waker, which the host's reactor
/// calls when the guest fd turns readable, so that the tasks a turn wakes
/// are woken by the host's I/O thread as its own sockets' tasks are, with
/// no driver task scheduled and polled in between; and the host's driver
/// task, for the reactor's timers ([`deadline`](GuestTurns::deadline)).
///
/// One thread runs turns at a time; a kick arriving meanwhile is left to
/// that thread, which looks at the fd again before it lets go, so no
/// readiness is lost between its last look and its release.
///
/// Its waker is stored in the host reactor's registration of the fd while
/// it waits, which keeps it alive; a turn that finds the reactor shut down
/// (or the fd no longer watched) stores it no more, and it is dropped with
/// its last wake.
///
/// # Examples
///
/// A host's glue: its reactor's readiness of the fd, and the first turn
/// (a real watch asks the host's reactor, as `baton-host-tokio` does with
/// `AsyncFd::poll_read_ready`).
///
/// ```
/// use std::io;
/// use std::sync::Arc;
/// use std::task::{Context, Poll};
/// use baton_protocol::Reactor;
/// use baton_reactor_kit::{GuestFdWatch, GuestTurns};
///
/// struct Watch(Arc<dyn Reactor>);
///
/// impl GuestFdWatch for Watch {
///     fn reactor(&self) -> &dyn Reactor {
///         &*self.0
///     }
///     fn poll_readable(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
///         // Here the host's reactor checks the fd `self.0.guest_fd()`
///         // and keeps `_cx`'s waker until it turns readable.
///         Poll::Pending
///     }
/// }
///
/// fn start(reactor: Arc<dyn Reactor>) -> Arc<GuestTurns<Watch>> {
///     let turns = GuestTurns::new(Watch(reactor));
///     // The first turn; afterwards the watch's waker runs them.
///     turns.kick(true);
///     turns
/// }
/// # let _ = start;
/// ```
pub struct GuestTurns<W> {
    watch: W,
    flags: AtomicU8,
    /// What the driver task waits for.
    timer: Mutex<Timer>,
}

/// What the turns tell the driver task.
#[derive(Default)]
struct Timer {
    /// The reactor's nearest deadline, from the last turn's `guest_wait`.
    deadline: Option<Instant>,
    /// The reactor (or the host's watch) has shut down: no more turns.
    done: bool,
    /// The driver task, woken when `deadline` moves earlier or `done`.
    task: Option<Waker>,
}

impl<W: GuestFdWatch> GuestTurns<W> {
    /// Turns over `watch`'s reactor; none runs before the first
    /// [`kick`](GuestTurns::kick).
    pub fn new(watch: W) -> Arc<GuestTurns<W>> {
        Arc::new(GuestTurns {
            watch,
            flags: AtomicU8::new(0),
            timer: Mutex::new(Timer::default()),
        })
    }

    /// The watch.
    pub fn watch(&self) -> &W {
        &self.watch
    }

    fn timer(&self) -> MutexGuard<'_, Timer> {
        self.timer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs turns while the fd is readable (and one anyway if `force`),
    /// then leaves the host's reactor this value's waker, to be kicked
    /// again when the fd next turns readable. If another thread is running
    /// turns, leaves the work to it and returns at once.
    ///
    /// A host's driver task kicks with `force` for the first turn and when
    /// the [`deadline`](GuestTurns::deadline) comes.
    pub fn kick(self: &Arc<Self>, force: bool) {
        let mine = if force { AGAIN | FORCE } else { AGAIN };
        let mut flags = self.flags.load(Ordering::Acquire);
        loop {
            let next = if flags & RUNNING != 0 {
                flags | mine
            } else {
                RUNNING
            };
            match self
                .flags
                .compare_exchange_weak(flags, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if flags & RUNNING != 0 => return,
                Ok(_) => break,
                Err(now) => flags = now,
            }
        }
        let waker = Waker::from(Arc::clone(self));
        let mut cx = Context::from_waker(&waker);
        let mut turn = force;
        loop {
            // Consumed before the turn: what turns the fd readable during
            // it is a newer readiness.
            match self.watch.poll_readable(&mut cx) {
                Poll::Ready(Ok(())) => turn = true,
                Poll::Ready(Err(_)) => return self.done(),
                Poll::Pending => {}
            }
            if turn {
                turn = false;
                if !self.turn() {
                    return self.done();
                }
                continue;
            }
            // Nothing to do: let go, unless a kick came meanwhile.
            match self
                .flags
                .compare_exchange(RUNNING, 0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(flags) => {
                    turn = flags & FORCE != 0;
                    self.flags.store(RUNNING, Ordering::Release);
                }
            }
        }
    }

    /// One non-blocking turn, then the deadline for the driver task; `false`
    /// once the reactor has shut down.
    fn turn(&self) -> bool {
        let reactor = self.watch.reactor();
        if reactor.park(Some(Duration::ZERO), false).is_err() {
            return false;
        }
        let Ok(deadline) = reactor.guest_wait() else {
            return false;
        };
        let mut timer = self.timer();
        if timer.deadline == deadline {
            return true;
        }
        // A later deadline (or none) needs no wake-up: the task's timer
        // then ends early, in a spurious turn, and it waits again.
        let earlier = match (timer.deadline, deadline) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(old), Some(new)) => new < old,
        };
        timer.deadline = deadline;
        let task = if earlier { timer.task.clone() } else { None };
        drop(timer);
        if let Some(task) = task {
            task.wake();
        }
        true
    }

    /// No more turns: `RUNNING` stays set for ever, so later kicks return
    /// at once, and the driver task is told.
    fn done(&self) {
        let task = {
            let mut timer = self.timer();
            timer.done = true;
            timer.task.take()
        };
        if let Some(task) = task {
            task.wake();
        }
    }

    /// For the host's driver task: the reactor's nearest deadline as of
    /// the last turn (`Some(None)`: no timer pending), with `cx`'s waker
    /// kept to be woken when a turn finds an earlier one; `None` once the
    /// turns have stopped (the reactor or the host's watch shut down).
    ///
    /// The task waits until the deadline with its host's timer, then
    /// [`kick`](GuestTurns::kick)s with `force`; a deadline already past
    /// calls for that kick after the tasks already queued (a yield), so
    /// that a reactor that keeps something due cannot starve them.
    pub fn deadline(&self, cx: &mut Context<'_>) -> Option<Option<Instant>> {
        let mut timer = self.timer();
        if timer.done {
            return None;
        }
        if !timer
            .task
            .as_ref()
            .is_some_and(|task| task.will_wake(cx.waker()))
        {
            timer.task = Some(cx.waker().clone());
        }
        Some(timer.deadline)
    }

    /// The host's driver task: the first turn (which hands the host's
    /// reactor the turns' waker), then the turns the reactor's timers ask
    /// for, on the host's `timer`, until the turns stop. A deadline already
    /// past runs its turn after `yield_now()` (the host's yield), so that a
    /// reactor that keeps something due cannot starve the tasks queued.
    pub async fn drive<T, Y>(self: Arc<Self>, timer: T, yield_now: impl Fn() -> Y)
    where
        T: HostTimer,
        Y: Future<Output = ()>,
    {
        let mut timer = pin!(timer);
        // The deadline the timer is armed at: it is armed again only when
        // the deadline moves, or after it fired.
        let mut armed = None;
        loop {
            self.kick(true);
            let woke = poll_fn(|cx| {
                let Some(deadline) = self.deadline(cx) else {
                    return Poll::Ready(Woke::Done);
                };
                let Some(deadline) = deadline else {
                    return Poll::Pending;
                };
                if deadline <= Instant::now() {
                    return Poll::Ready(Woke::Due);
                }
                if armed != Some(deadline) {
                    armed = Some(deadline);
                    timer.as_mut().arm(deadline);
                }
                timer.as_mut().poll_fired(cx).map(|()| Woke::Timer)
            })
            .await;
            match woke {
                Woke::Done => return,
                Woke::Due => yield_now().await,
                Woke::Timer => armed = None,
            }
        }
    }
}

/// A host's timer, as [`GuestTurns::drive`] uses it (tokio's `Sleep`,
/// async-io's `Timer`).
pub trait HostTimer {
    /// Arms the timer at `deadline`, replacing the previous deadline.
    fn arm(self: Pin<&mut Self>, deadline: Instant);

    /// `Ready` once the armed deadline has come (a timer never armed stays
    /// `Pending`), with `cx`'s waker kept otherwise.
    fn poll_fired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
}

/// Why [`GuestTurns::drive`] woke.
enum Woke {
    /// The deadline came (or went: a spurious turn is harmless).
    Timer,
    /// The deadline is already past: a turn after the tasks already queued.
    Due,
    /// No more turns.
    Done,
}

impl<W: GuestFdWatch> Wake for GuestTurns<W> {
    fn wake(self: Arc<Self>) {
        self.kick(false);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.kick(false);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, BorrowedFd, RawFd};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, OnceLock, Weak};
    use std::task::{Context, Poll, Waker};
    use std::time::{Duration, Instant};

    use baton_protocol::reactor::{Interest, SourceKey};
    use baton_protocol::{Error, Reactor};

    use super::{GuestFdWatch, GuestTurns};
    use crate::{Driver, Mode, Os, Readiness, Registrar};

    thread_local! {
        /// Turns run on this thread: each ends with one `guest_wait`,
        /// which calls `guest_prepare` once.
        static TURNS: Cell<usize> = const { Cell::new(0) };
    }

    /// A poller that never reports anything, with a real fd to show.
    enum NullOs {}

    struct NullRegistrar(File);

    impl Registrar for NullRegistrar {
        type Source = ();

        fn add(&self, _: RawFd, _: SourceKey, _: Interest) -> Result<(), Error> {
            Ok(())
        }
        fn arm(&self, _: RawFd, _: SourceKey, _: Option<Interest>, (): &mut ()) -> io::Result<()> {
            Ok(())
        }
        fn delete(&self, _: RawFd, (): ()) -> io::Result<()> {
            Ok(())
        }
        fn is_registered(&self, _: RawFd, _: SourceKey, _: Interest, (): &()) -> bool {
            true
        }
    }

    impl Os for NullOs {
        type Registrar = NullRegistrar;
        type Waiter = ();
        const MODE: Mode = Mode::Edge;
        const RESOLUTION: Duration = Duration::ZERO;

        fn open() -> io::Result<(NullRegistrar, ())> {
            Ok((NullRegistrar(File::open("/dev/null")?), ()))
        }
        fn wait(_: &NullRegistrar, _: &mut (), _: Option<Instant>) -> io::Result<()> {
            Ok(())
        }
        fn events(_: &()) -> impl Iterator<Item = (SourceKey, Readiness)> + '_ {
            std::iter::empty()
        }
        fn notify(_: &NullRegistrar) {}
        fn guest_fd(registrar: &NullRegistrar) -> Option<BorrowedFd<'_>> {
            Some(registrar.0.as_fd())
        }
        fn guest_prepare(_: &NullRegistrar) -> io::Result<()> {
            TURNS.with(|t| t.set(t.get() + 1));
            Ok(())
        }
    }

    /// What the watch does on its first `Pending` after a turn: the moment
    /// between the runner's last look at the fd and its release.
    enum Meanwhile {
        /// The fd turns readable and the host's reactor wakes the waker.
        Readable,
        /// The driver task kicks for a timer.
        Forced,
    }

    struct Watch {
        reactor: Driver<NullOs>,
        /// Readiness not yet consumed.
        ready: AtomicUsize,
        meanwhile: Meanwhile,
        /// Done once, on the first `Pending` after a turn.
        fired: AtomicUsize,
        turns: OnceLock<Weak<GuestTurns<Watch>>>,
    }

    impl GuestFdWatch for Watch {
        fn reactor(&self) -> &dyn Reactor {
            &self.reactor
        }

        fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            if self.ready.load(Ordering::SeqCst) > 0 {
                self.ready.fetch_sub(1, Ordering::SeqCst);
                return Poll::Ready(Ok(()));
            }
            // After the first turn: the runner's look before it lets go.
            if TURNS.with(Cell::get) > 0 && self.fired.fetch_add(1, Ordering::SeqCst) == 0 {
                match self.meanwhile {
                    Meanwhile::Readable => {
                        self.ready.fetch_add(1, Ordering::SeqCst);
                        cx.waker().wake_by_ref();
                    }
                    Meanwhile::Forced => {
                        let turns = self.turns.get().and_then(Weak::upgrade);
                        turns.expect("set after new").kick(true);
                    }
                }
            }
            Poll::Pending
        }
    }

    fn turns(meanwhile: Meanwhile) -> Arc<GuestTurns<Watch>> {
        let turns = GuestTurns::new(Watch {
            reactor: Driver::new().expect("no syscall"),
            ready: AtomicUsize::new(0),
            meanwhile,
            fired: AtomicUsize::new(0),
            turns: OnceLock::new(),
        });
        let _ = turns.watch().turns.set(Arc::downgrade(&turns));
        turns
    }

    fn turns_run(kick: impl FnOnce()) -> usize {
        TURNS.with(|t| t.set(0));
        kick();
        TURNS.with(Cell::get)
    }

    #[test]
    fn readiness_while_turns_run_is_not_lost() {
        let turns = turns(Meanwhile::Readable);
        // The forced turn, then the one for the readiness that came while
        // the runner was letting go (its kick returned at once).
        assert_eq!(turns_run(|| turns.kick(true)), 2);
        assert_eq!(turns.watch().ready.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn forced_kick_while_turns_run_runs_one_more() {
        let turns = turns(Meanwhile::Forced);
        // The fd never turns readable: the second turn is the forced kick's.
        assert_eq!(turns_run(|| turns.kick(true)), 2);
        // An unforced kick with nothing readable runs none.
        assert_eq!(turns_run(|| turns.kick(false)), 0);
    }

    #[test]
    fn shutdown_ends_the_turns_and_tells_the_task() {
        let turns = turns(Meanwhile::Readable);
        turns.kick(true);
        let woken = Arc::new(Woken::default());
        let waker = Waker::from(Arc::clone(&woken));
        let mut cx = Context::from_waker(&waker);
        assert_eq!(turns.deadline(&mut cx), Some(None), "no timer pending");
        turns.watch().reactor.shutdown();
        assert_eq!(turns_run(|| turns.kick(true)), 0, "park fails first");
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(turns.deadline(&mut cx), None);
        assert_eq!(turns_run(|| turns.kick(true)), 0, "no more turns");
    }

    #[derive(Default)]
    struct Woken(AtomicUsize);

    impl std::task::Wake for Woken {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}
