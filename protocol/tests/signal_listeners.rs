//! Signals on a real reactor: every listener of a signal gets it, a set
//! reports each member, and dropping the last listener gives the signal its
//! previous disposition back (read from /proc/self/status).
//!
//! Signals are process-wide: each test uses its own signal, so the tests of
//! this file can run in parallel.

mod rt;

use baton_protocol::signal::Signals;
use rt::Rt;

/// Whether `signal` is caught by a handler in this process, from the
/// `SigCgt` mask of /proc/self/status.
fn caught(signal: libc::c_int) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .unwrap()
        .trim();
    let mask = u64::from_str_radix(mask, 16).unwrap();
    mask & (1 << (signal - 1)) != 0
}

fn raise(signal: libc::c_int) {
    signal_hook::low_level::raise(signal).unwrap();
}

#[test]
fn two_listeners_both_get_the_signal() {
    let rt = Rt::new();
    rt.block_on(async {
        let mut a = Signals::new([libc::SIGUSR1]).unwrap();
        let mut b = Signals::new([libc::SIGUSR1]).unwrap();
        raise(libc::SIGUSR1);
        assert_eq!(a.recv().await.unwrap(), libc::SIGUSR1);
        assert_eq!(b.recv().await.unwrap(), libc::SIGUSR1);
    });
}

#[test]
fn a_set_reports_each_signal_that_arrived() {
    let rt = Rt::new();
    rt.block_on(async {
        let mut set = Signals::new([libc::SIGWINCH, libc::SIGURG, libc::SIGWINCH]).unwrap();
        assert_eq!(set.signals(), [libc::SIGURG, libc::SIGWINCH]);
        raise(libc::SIGWINCH);
        raise(libc::SIGURG);
        let mut got = [set.recv().await.unwrap(), set.recv().await.unwrap()];
        got.sort_unstable();
        assert_eq!(got, [libc::SIGURG, libc::SIGWINCH]);
    });
}

#[test]
fn the_last_listener_restores_the_disposition_and_a_new_one_listens_again() {
    let rt = Rt::new();
    let signal = libc::SIGUSR2;
    assert!(
        !caught(signal),
        "SIGUSR2 starts with its default disposition"
    );
    rt.block_on(async {
        let first = Signals::new([signal]).unwrap();
        let second = Signals::new([signal]).unwrap();
        assert!(caught(signal));
        drop(first);
        assert!(caught(signal), "one listener is left");
        drop(second);
        assert!(!caught(signal), "the default disposition is back");

        // signal-hook-registry believes its handler is still installed;
        // a new listener must still get the signal.
        let mut again = Signals::new([signal]).unwrap();
        assert!(caught(signal));
        raise(signal);
        assert_eq!(again.recv().await.unwrap(), signal);
    });
    assert!(!caught(signal));
}
