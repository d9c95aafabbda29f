//! Cross-thread wake-ups: `unpark`, its coalescing, and `EINTR`
//! (CONFORMANCE.md D).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Once, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::util::{HANG, NewReactor};

/// `wake.unpark_ends_infinite_park`: `park(None)` with nothing registered
/// returns once another thread unparks.
pub(crate) fn unpark_ends_infinite_park(new: NewReactor) {
    let r = new();
    let (started, parked) = mpsc::channel();
    let parker = {
        let r = r.clone();
        thread::spawn(move || {
            started.send(()).unwrap();
            let start = Instant::now();
            let turn = r.park(None, true).unwrap();
            (turn, start.elapsed())
        })
    };
    parked.recv().unwrap();
    r.unpark();
    let (turn, elapsed) = parker.join().unwrap();
    assert!(turn.unparked);
    assert!(elapsed < HANG);
}

/// `wake.unpark_before_park_and_coalesce`: an unpark before the park makes
/// it return at once; several coalesce into one early return, and the next
/// park really blocks.
pub(crate) fn unpark_before_park_and_coalesce(new: NewReactor) {
    let r = new();
    r.unpark();
    let start = Instant::now();
    let turn = r.park(None, true).unwrap();
    assert!(turn.unparked);
    assert!(start.elapsed() < HANG);

    for _ in 0..10 {
        r.unpark();
    }
    let turn = r.park(Some(Duration::from_secs(10)), true).unwrap();
    assert!(turn.unparked);
    let start = Instant::now();
    let turn = r.park(Some(Duration::from_millis(50)), true).unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(50),
        "coalesced unparks leaked into this park"
    );
    assert!(turn.is_empty(), "{turn:?}");
}

/// Unparks racing parks that are just starting, many times over: every one
/// ends a `park(None)`. (polling 3.11's poll(2) backend once left its
/// notification flag set after such a race, and every later unpark was
/// lost.)
pub(crate) fn unpark_never_lost_racing_park(new: NewReactor) {
    const ROUNDS: u64 = 100_000;
    let r = new();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (ack, acks) = mpsc::channel();
    let parker = {
        let (r, sent) = (r.clone(), sent.clone());
        thread::spawn(move || {
            loop {
                r.park(None, true).unwrap();
                let seen = sent.load(Ordering::SeqCst);
                ack.send(seen).unwrap();
                if seen == ROUNDS {
                    break;
                }
            }
        })
    };
    for round in 1..=ROUNDS {
        sent.store(round, Ordering::SeqCst);
        r.unpark();
        // Spurious turns may acknowledge an earlier round: wait for this one.
        loop {
            match acks.recv_timeout(HANG) {
                Ok(seen) if seen >= round => break,
                Ok(_) => {}
                Err(_) => panic!("round {round}: an unpark was lost; the park never returned"),
            }
        }
    }
    parker.join().unwrap();
}

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::SeqCst);
}

/// Installs a SIGURG handler (without `SA_RESTART`) once per process.
fn install_handler() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: a zeroed `sigaction` is a valid empty action; the handler
        // only touches an atomic, which is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(
                libc::sigaction(libc::SIGURG, &action, std::ptr::null_mut()),
                0
            );
        }
    });
}

/// `wake.eintr_is_spurious_turn` (Decision 5): a signal delivered to the
/// parked thread gives `Ok` and an empty turn, never an error.
pub(crate) fn eintr_is_spurious_turn(new: NewReactor) {
    install_handler();
    let r = new();
    let before = SIGNALS.load(Ordering::SeqCst);
    let (thread_id, id) = mpsc::channel();
    let (turned, result) = mpsc::channel();
    let (bye, exit) = mpsc::channel::<()>();
    let parker = {
        let r = r.clone();
        thread::spawn(move || {
            // SAFETY: `pthread_self` has no preconditions.
            thread_id.send(unsafe { libc::pthread_self() }).unwrap();
            let turn = r.park(Some(Duration::from_millis(300)), true);
            turned.send(turn).unwrap();
            // Stay alive until the signalling stops, so every signal has a
            // live target.
            let _ = exit.recv();
        })
    };
    let tid = id.recv().unwrap();
    let start = Instant::now();
    let turn = loop {
        // SAFETY: `tid` names the parker, which stays alive until `bye`.
        assert_eq!(unsafe { libc::pthread_kill(tid, libc::SIGURG) }, 0);
        match result.recv_timeout(Duration::from_millis(5)) {
            Ok(turn) => break turn,
            Err(_) => assert!(start.elapsed() < HANG, "the parked thread never returned"),
        }
    };
    bye.send(()).unwrap();
    parker.join().unwrap();
    let turn = turn.expect("EINTR must not be an error");
    assert!(SIGNALS.load(Ordering::SeqCst) > before);
    assert_eq!(turn.events, 0);
    assert_eq!(turn.timers_fired, 0);
    assert!(!turn.unparked);
}
