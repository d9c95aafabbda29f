//! Parking: how a thread with nothing to run waits, and who drives the
//! reactor meanwhile.
//!
//! One token, the [`Driver`], grants the right to call
//! [`Reactor::park`]; the reactor serializes parks, so a second caller would
//! block inside it where nobody could wake it. A thread that wants to wait
//! takes the token if it is free and waits in the reactor (waking for I/O,
//! timers and [`Reactor::unpark`]); otherwise it sleeps on its own condvar.
//! Either way a [`Parker`] records where it sleeps, so that whoever has work
//! for it knows how to wake it: a condvar notify, or `Reactor::unpark`.

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicU64, Ordering as StdOrdering};
use std::time::Duration;

use baton_protocol::{Error, Reactor};

use crate::sync::{self, AtomicBool, AtomicUsize, Condvar, Mutex};

/// How long a driver waits after a failed park before it may park again.
const FAILED_PARK_PAUSE: Duration = Duration::from_millis(10);

/// The right to drive the reactor, and the reactor itself.
pub(crate) struct Driver {
    reactor: Arc<dyn Reactor>,
    /// Whether a thread holds the token.
    busy: AtomicBool,
    /// Set once the reactor has shut down: parking in it again would fail
    /// at once and spin, so waiters use their condvars from then on.
    broken: AtomicBool,
    /// Set once a park failed for another reason, so it is reported once.
    reported: AtomicBool,
    /// Reactor turns taken, for metrics.
    turns: AtomicU64,
}

impl Driver {
    pub(crate) fn new(reactor: Arc<dyn Reactor>) -> Driver {
        Driver {
            reactor,
            busy: AtomicBool::new(false),
            broken: AtomicBool::new(false),
            reported: AtomicBool::new(false),
            turns: AtomicU64::new(0),
        }
    }

    pub(crate) fn reactor(&self) -> &Arc<dyn Reactor> {
        &self.reactor
    }

    /// Takes the token if no other thread holds it.
    pub(crate) fn try_acquire(&self) -> Option<DriverGuard<'_>> {
        if self.broken.load(SeqCst) {
            return None;
        }
        self.busy
            .compare_exchange(false, true, SeqCst, SeqCst)
            .ok()
            .map(|_| DriverGuard { driver: self })
    }

    /// Whether a thread holds the token.
    pub(crate) fn is_busy(&self) -> bool {
        self.busy.load(SeqCst)
    }

    /// Reactor turns taken so far.
    pub(crate) fn turns(&self) -> u64 {
        self.turns.load(StdOrdering::Relaxed)
    }
}

/// The driver token, released on drop.
pub(crate) struct DriverGuard<'a> {
    driver: &'a Driver,
}

impl DriverGuard<'_> {
    /// One reactor turn: waits for at most `timeout` (`None`: until the
    /// nearest timer, I/O or an unpark), then wakes what is due.
    pub(crate) fn turn(&self, timeout: Option<Duration>, runtime_idle: bool) {
        self.driver.turns.fetch_add(1, StdOrdering::Relaxed);
        match self.driver.reactor.park(timeout, runtime_idle) {
            Ok(_) => {}
            // Expected at the end of a runtime's life: stop driving.
            Err(Error::Shutdown) => self.driver.broken.store(true, SeqCst),
            // Any other failure may be transient (an OS hiccup): giving up
            // on the reactor would strand every I/O wait and timer for good,
            // so it is reported once and the park retried, after a pause
            // that keeps a poller that stays broken from spinning.
            Err(error) => {
                if !self.driver.reported.swap(true, SeqCst) {
                    crate::task::report(&error);
                }
                std::thread::sleep(FAILED_PARK_PAUSE);
            }
        }
    }
}

impl Drop for DriverGuard<'_> {
    fn drop(&mut self) {
        self.driver.busy.store(false, SeqCst);
    }
}

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// Where one thread (a worker, or a `block_on` caller) sleeps.
///
/// # Invariant
///
/// Only the owning thread calls [`park`](Parker::park); any thread calls
/// [`unpark`](Parker::unpark). `state` is `EMPTY` or `NOTIFIED` whenever the
/// owner is not inside `park`; inside, it is `PARKED_CONDVAR` while the
/// owner waits on `condvar` (with `mutex` released by the wait) and
/// `PARKED_DRIVER` while it waits in the reactor. `unpark` always leaves
/// `NOTIFIED`, which the next `park` consumes, so a wake-up is never lost:
/// either `park` sees `NOTIFIED` before it sleeps, or `unpark` sees where it
/// sleeps and wakes it there.
pub(crate) struct Parker {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Sleeps until [`unpark`](Parker::unpark), in the reactor if the driver
    /// token is free (then I/O and timers also end the sleep), else on the
    /// condvar. `runtime_idle` is asked just before waiting in the reactor.
    pub(crate) fn park(&self, driver: &Driver, runtime_idle: impl FnOnce() -> bool) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        match driver.try_acquire() {
            Some(guard) => self.park_driver(&guard, runtime_idle),
            None => self.park_condvar(),
        }
    }

    /// Sleeps until [`unpark`](Parker::unpark), on the condvar only: for
    /// threads that must not drive the reactor.
    pub(crate) fn park_without_driver(&self) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        self.park_condvar();
    }

    fn park_driver(&self, guard: &DriverGuard<'_>, runtime_idle: impl FnOnce() -> bool) {
        if self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
            .is_err()
        {
            // Notified meanwhile; the swap synchronizes with that unpark.
            self.state.swap(EMPTY, SeqCst);
            return;
        }
        guard.turn(None, runtime_idle());
        // Woken by an unpark (NOTIFIED) or by I/O, a timer or a spurious
        // turn (still PARKED_DRIVER): either way the caller re-checks.
        self.state.swap(EMPTY, SeqCst);
    }

    fn park_condvar(&self) {
        let mut guard = sync::lock(&self.mutex);
        if self
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
            .is_err()
        {
            self.state.swap(EMPTY, SeqCst);
            return;
        }
        loop {
            guard = sync::wait(&self.condvar, guard);
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            // A spurious condvar wake-up: sleep again.
        }
    }

    /// Wakes the owner if it sleeps, or makes its next `park` return at once.
    pub(crate) fn unpark(&self, driver: &Driver) {
        // Always a swap, even when already NOTIFIED: the parked thread's
        // acquire must read this write to see what the caller did before.
        match self.state.swap(NOTIFIED, SeqCst) {
            PARKED_CONDVAR => {
                // The owner holds `mutex` from its state change until it
                // waits; taking it here means the notify cannot fall in that
                // window.
                drop(sync::lock(&self.mutex));
                self.condvar.notify_one();
            }
            PARKED_DRIVER => driver.reactor.unpark(),
            _ => {}
        }
    }

    /// Whether the owner sleeps on its condvar (not in the reactor).
    pub(crate) fn is_on_condvar(&self) -> bool {
        self.state.load(SeqCst) == PARKED_CONDVAR
    }
}
