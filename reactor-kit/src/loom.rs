//! Loom models of the kit's hand-offs where a wake-up could be lost: the
//! readiness table (dispatch against clear and poll) and the timer table
//! against a parking [`Driver`].
//!
//! Each model runs the real types: their locks and flags come from
//! [`crate::sync`], which is loom under `cfg(loom)`. Only the OS is a model
//! ([`ModelOs`]): a wait that a notification or a deadline already past
//! ends, and no file descriptors.
//!
//! Run with `cargo xtask loom` (or `RUSTFLAGS="--cfg loom" cargo test -p
//! baton-reactor-kit --release --lib loom`).

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_protocol::Reactor;
use baton_protocol::reactor::{Direction, Interest, SourceKey};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Condvar, Mutex};
use loom::thread;

use crate::{Driver, Mode, Os, Readiness, Registrar, Sources, wake_all};

/// A waker that a model thread can block on: a lost wake-up leaves the
/// thread asleep for ever, which loom reports as a deadlock.
#[derive(Default)]
struct Signal {
    woken: Mutex<bool>,
    condvar: Condvar,
}

impl Signal {
    fn new() -> Arc<Signal> {
        Arc::new(Signal::default())
    }

    /// Sleeps until woken, and consumes the wake-up.
    fn wait(&self) {
        let mut woken = self.woken.lock().unwrap();
        while !*woken {
            woken = self.condvar.wait(woken).unwrap();
        }
        *woken = false;
    }
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.woken.lock().unwrap() = true;
        self.condvar.notify_one();
    }
}

/// Counts its wake-ups.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The OS half of the model: registrations always succeed, and a wait ends
/// when notified or when its deadline has already passed. A deadline still
/// ahead is further away than any model runs, so only a notification ends
/// such a wait; a wait that should have been notified and was not is a
/// deadlock.
enum ModelOs {}

#[derive(Default)]
struct ModelRegistrar {
    notified: Mutex<bool>,
    condvar: Condvar,
}

impl Registrar for ModelRegistrar {
    type Source = ();

    fn add(&self, _: RawFd, _: SourceKey, _: Interest) -> Result<(), baton_protocol::Error> {
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

impl Os for ModelOs {
    type Registrar = ModelRegistrar;
    type Waiter = ();
    const MODE: Mode = Mode::Edge;
    const RESOLUTION: Duration = Duration::ZERO;

    fn open() -> io::Result<(ModelRegistrar, ())> {
        Ok((ModelRegistrar::default(), ()))
    }

    fn wait(registrar: &ModelRegistrar, _: &mut (), deadline: Option<Instant>) -> io::Result<()> {
        let mut notified = registrar.notified.lock().unwrap();
        if deadline.is_none_or(|deadline| deadline > Instant::now()) {
            while !*notified {
                notified = registrar.condvar.wait(notified).unwrap();
            }
        }
        *notified = false;
        Ok(())
    }

    fn events(_: &()) -> impl Iterator<Item = (SourceKey, Readiness)> + '_ {
        std::iter::empty()
    }

    fn notify(registrar: &ModelRegistrar) {
        *registrar.notified.lock().unwrap() = true;
        registrar.condvar.notify_one();
    }
}

const READABLE: Readiness = Readiness {
    readable: true,
    writable: false,
    hangup: false,
    read_closed: false,
    invalid: false,
};

/// The readiness table's central race (`Sources::dispatch`,
/// `Sources::clear_ready`, `Sources::poll_ready`): a task saw readiness
/// with tick `old`, its read returned `WouldBlock`, so it clears `old` and
/// polls again, storing its waker; meanwhile the parking thread dispatches
/// new readiness. Whatever the order, the task ends up with the newer tick:
/// either its poll finds it, or the dispatch finds its waker.
///
/// Catches: a waker stored outside the slot's lock (a dispatch between the
/// readiness check and the store finds no waiter: the task waits for ever,
/// a deadlock), and a clear that ignores the tick (a clear after the
/// dispatch forgets the newer readiness, which nothing will report again:
/// a deadlock, or the final check that the readiness is still there
/// fails).
#[test]
fn loom_readiness_dispatch_clear_poll() {
    loom::model(|| {
        let sources = Arc::new(Sources::new(ModelRegistrar::default(), Mode::Edge));
        let key = sources.register(3, Interest::READ).unwrap();
        let mut wakers = Vec::new();
        assert!(sources.dispatch(key, READABLE, &mut wakers));
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(Ok(old)) = sources.poll_ready(key, Direction::Read, &mut cx) else {
            panic!("not ready after an event");
        };

        let parking = {
            let sources = sources.clone();
            thread::spawn(move || {
                let mut wakers = Vec::new();
                assert!(sources.dispatch(key, READABLE, &mut wakers));
                wake_all(wakers);
            })
        };

        sources.clear_ready(key, Direction::Read, old).unwrap();
        let signal = Signal::new();
        let waker = Waker::from(signal.clone());
        let mut cx = Context::from_waker(&waker);
        let newer = loop {
            match sources.poll_ready(key, Direction::Read, &mut cx) {
                Poll::Ready(Ok(tick)) => break tick,
                Poll::Ready(Err(e)) => panic!("poll_ready failed: {e}"),
                Poll::Pending => signal.wait(),
            }
        };
        assert_ne!(newer, old, "the cleared readiness came back");
        parking.join().unwrap();
        // The stale tick clears nothing, even now.
        sources.clear_ready(key, Direction::Read, old).unwrap();
        assert!(sources.poll_ready(key, Direction::Read, &mut cx).is_ready());
    });
}

/// Parks `driver` until `flag` counts a wake-up. A park that should have
/// been ended and was not sleeps for ever: a deadlock.
fn park_until_woken(driver: &Driver<ModelOs>, flag: &Count) {
    while flag.0.load(Ordering::SeqCst) == 0 {
        driver.park(None, true).unwrap();
    }
}

/// A timer inserted from another thread while the reactor parks
/// (`Timers::insert`, `begin_park` / `end_park`, `Driver::insert_timer` and
/// `Driver::park`): the park waits for a timer an hour away; another thread
/// inserts one that is already due. The park must end (or never start
/// waiting) and fire it.
///
/// Catches: a park deadline read outside the timer table's lock, or the
/// park recorded after it (an insert in between is not told to notify and
/// the park sleeps for the hour: deadlock), and an insert that does not
/// notify a park waiting past its deadline.
#[test]
fn loom_timer_insert_ends_park() {
    loom::model(|| {
        let driver = Arc::new(Driver::<ModelOs>::new().unwrap());
        let far = driver.insert_timer(Instant::now() + Duration::from_secs(3600), Waker::noop());
        far.unwrap();
        let fired = Arc::new(Count::default());
        let inserter = {
            let (driver, waker) = (driver.clone(), Waker::from(fired.clone()));
            thread::spawn(move || {
                driver.insert_timer(Instant::now(), &waker).unwrap();
            })
        };
        park_until_woken(&driver, &fired);
        inserter.join().unwrap();
        assert_eq!(fired.0.load(Ordering::SeqCst), 1);
    });
}

/// [`loom_timer_insert_ends_park`] for `Timers::reset` (`Driver::reset_timer`):
/// the park waits for the timer's deadline an hour away; another thread
/// moves that timer to now. The park must end and fire it.
///
/// Catches: a reset that does not notify a park waiting past its new
/// deadline, and the park's deadline and record split across two critical
/// sections (deadlock).
#[test]
fn loom_timer_reset_ends_park() {
    loom::model(|| {
        let driver = Arc::new(Driver::<ModelOs>::new().unwrap());
        let fired = Arc::new(Count::default());
        let far = Instant::now() + Duration::from_secs(3600);
        let key = driver
            .insert_timer(far, &Waker::from(fired.clone()))
            .unwrap();
        let resetter = {
            let driver = driver.clone();
            thread::spawn(move || driver.reset_timer(key, Instant::now()).unwrap())
        };
        park_until_woken(&driver, &fired);
        resetter.join().unwrap();
        assert_eq!(fired.0.load(Ordering::SeqCst), 1);
    });
}
