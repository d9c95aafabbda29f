//! Signals that cannot be listened to are error values, never panics; and
//! outside a runtime a listener says so.

use std::io;

use baton_protocol::Error;
use baton_protocol::signal::{SignalError, Signals, ctrl_c};

#[test]
fn sigkill_and_sigstop_are_uncatchable() {
    for signal in [libc::SIGKILL, libc::SIGSTOP] {
        match Signals::new([signal]) {
            Err(SignalError::Uncatchable(s)) => assert_eq!(s, signal),
            other => panic!("signal {signal}: expected Uncatchable, got {other:?}"),
        }
    }
}

#[test]
fn fault_signals_are_refused() {
    for signal in [libc::SIGSEGV, libc::SIGILL, libc::SIGFPE] {
        assert!(matches!(Signals::new([signal]), Err(SignalError::Fault(s)) if s == signal));
    }
}

#[test]
fn numbers_that_are_no_signal_are_invalid() {
    // 32 and 33 are glibc's own (thread cancellation, setxid).
    for number in [0, -1, 65, 128, 1000, i32::MAX, i32::MIN] {
        assert!(
            matches!(Signals::new([number]), Err(SignalError::Invalid(n)) if n == number),
            "{number}"
        );
    }
}

#[test]
fn one_bad_signal_refuses_the_whole_set() {
    // SIGUSR1 is fine, SIGKILL is not: nothing is registered.
    let refused = Signals::new([libc::SIGUSR1, libc::SIGKILL]).unwrap_err();
    assert!(matches!(refused, SignalError::Uncatchable(libc::SIGKILL)));
}

#[test]
fn outside_a_runtime_is_no_runtime() {
    let e = Signals::new([libc::SIGUSR1]).unwrap_err();
    assert!(matches!(Error::from(e), Error::NoRuntime));
}

#[test]
fn ctrl_c_outside_a_runtime_resolves_to_no_runtime() {
    let result = futures_lite::future::block_on(ctrl_c());
    assert!(matches!(result, Err(Error::NoRuntime)), "{result:?}");
}

#[test]
fn errors_convert_for_callers_of_io_and_of_the_protocol() {
    let io = io::Error::from(SignalError::Uncatchable(libc::SIGKILL));
    assert_eq!(io.kind(), io::ErrorKind::InvalidInput);
    let ours = Error::from(SignalError::Invalid(0));
    assert!(matches!(
        ours.downcast_ref::<SignalError>(),
        Some(SignalError::Invalid(0))
    ));
}
