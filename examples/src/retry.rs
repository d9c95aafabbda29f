//! Retry with exponential backoff: connect to a TCP server that may not be up
//! yet, waiting longer after each failure.
//!
//! This is library code of the kind baton is for: it knows only
//! `baton-protocol` ([`TcpStream::connect`], [`sleep`], [`timeout`]), so it
//! runs on every reactor and executor, and its tests can swap the reactor for
//! a virtual-time one (a backoff schedule of hours runs in milliseconds, with
//! exact timings asserted) or a fault-injecting one (spurious wake-ups,
//! interrupted and short I/O must not change the outcome). See
//! `examples/tests/retry_virtual_time.rs` and `examples/tests/retry_chaos.rs`.
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use baton_examples::retry::{Backoff, connect_with_backoff};
//!
//! # async fn demo() -> Result<(), baton_protocol::Error> {
//! // 100 ms, 200 ms, 400 ms, ... at most 5 s apart, 8 attempts of at most 2 s.
//! let policy = Backoff::new(Duration::from_millis(100))
//!     .max_delay(Duration::from_secs(5))
//!     .max_attempts(8)
//!     .attempt_timeout(Duration::from_secs(2));
//! let stream = connect_with_backoff(([127, 0, 0, 1], 6379).into(), &policy).await?;
//! # let _ = stream;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use baton_protocol::Error;
use baton_protocol::net::TcpStream;
use baton_protocol::time::{sleep, timeout};

/// When to try again: an exponential backoff schedule.
///
/// After failed attempt `n` (counting from 1) the caller waits
/// [`delay_after(n)`](Backoff::delay_after) = `initial · factorⁿ⁻¹`, capped at
/// `max_delay`, then tries again, up to `max_attempts` attempts in all. Each
/// attempt may take at most `attempt_timeout`. There is no jitter: the
/// schedule is exact, so tests can assert it (add jitter in the caller if
/// many clients must not retry in step).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_examples::retry::Backoff;
///
/// let policy = Backoff::new(Duration::from_secs(1)).factor(3).max_delay(Duration::from_secs(20));
/// let delays: Vec<u64> = (1..=5).map(|n| policy.delay_after(n).as_secs()).collect();
/// assert_eq!(delays, [1, 3, 9, 20, 20]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    factor: u32,
    max_delay: Duration,
    max_attempts: u32,
    attempt_timeout: Duration,
}

impl Backoff {
    /// A schedule that first waits `initial`, doubling each time, at most
    /// one minute apart, for 10 attempts of at most 30 s each.
    pub const fn new(initial: Duration) -> Backoff {
        Backoff {
            initial,
            factor: 2,
            max_delay: Duration::from_secs(60),
            max_attempts: 10,
            attempt_timeout: Duration::from_secs(30),
        }
    }

    /// Multiplies the delay by `factor` after each failure (2 by default;
    /// 0 and 1 keep it constant at `initial`).
    pub const fn factor(mut self, factor: u32) -> Backoff {
        self.factor = factor;
        self
    }

    /// Caps each delay at `max_delay` (one minute by default).
    pub const fn max_delay(mut self, max_delay: Duration) -> Backoff {
        self.max_delay = max_delay;
        self
    }

    /// Gives up after `max_attempts` attempts (10 by default; 0 counts as 1:
    /// there is always a first attempt).
    pub const fn max_attempts(mut self, max_attempts: u32) -> Backoff {
        self.max_attempts = max_attempts;
        self
    }

    /// Abandons an attempt that has not finished after `attempt_timeout`
    /// (30 s by default) and counts it as failed with [`Error::Elapsed`].
    pub const fn attempt_timeout(mut self, attempt_timeout: Duration) -> Backoff {
        self.attempt_timeout = attempt_timeout;
        self
    }

    /// How many attempts the schedule allows (at least one).
    pub const fn attempts(&self) -> u32 {
        if self.max_attempts == 0 {
            1
        } else {
            self.max_attempts
        }
    }

    /// The wait after failed attempt `n` (counting from 1):
    /// `initial · factorⁿ⁻¹`, capped at `max_delay`. Never overflows: a
    /// product past `max_delay` is `max_delay`.
    pub fn delay_after(&self, n: u32) -> Duration {
        let mut delay = self.initial.min(self.max_delay);
        let factor = self.factor.max(1);
        for _ in 1..n {
            if delay >= self.max_delay || factor == 1 {
                break;
            }
            delay = delay.saturating_mul(factor).min(self.max_delay);
        }
        delay
    }

    /// The total time spent waiting between attempts when every attempt
    /// fails: the sum of the delays after attempts `1..attempts()`.
    pub fn total_delay(&self) -> Duration {
        (1..self.attempts()).fold(Duration::ZERO, |sum, n| {
            sum.saturating_add(self.delay_after(n))
        })
    }
}

/// Connects to `addr`, retrying transient failures on the `policy`'s
/// schedule.
///
/// # Errors
///
/// The last attempt's error once `policy` gives up: `ConnectionRefused` (as
/// [`Error::Io`]) if nothing ever listened, [`Error::Elapsed`] if the last
/// attempt timed out. A failure that retrying cannot fix (see
/// [`is_transient`]) is returned at once, without waiting; so is
/// [`Error::NoRuntime`] outside a runtime.
pub async fn connect_with_backoff(addr: SocketAddr, policy: &Backoff) -> Result<TcpStream, Error> {
    retry(policy, |_attempt| TcpStream::connect(addr)).await
}

/// Runs `attempt(n)` for `n = 1, 2, ...` until it succeeds, fails with an
/// error that is not [transient](is_transient), or the `policy` runs out of
/// attempts, waiting [`delay_after(n)`](Backoff::delay_after) after failed
/// attempt `n`. Each attempt is bounded by the policy's attempt timeout.
///
/// # Errors
///
/// As [`connect_with_backoff`]: the last error once the policy gives up, a
/// permanent error at once, and [`Error::NoRuntime`] or [`Error::Shutdown`]
/// from the timers.
pub async fn retry<T, F, Fut>(policy: &Backoff, mut attempt: F) -> Result<T, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut n = 1;
    loop {
        let error = match timeout(policy.attempt_timeout, attempt(n)).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => Error::from(e),
            Err(Error::Elapsed) => Error::Elapsed,
            // The timer itself failed (no runtime, shut down): no retry helps.
            Err(e) => return Err(e),
        };
        if n >= policy.attempts() || !is_transient(&error) {
            return Err(error);
        }
        sleep(policy.delay_after(n)).await?;
        n += 1;
    }
}

/// Whether retrying later may succeed where this error failed: timeouts,
/// refused, reset or aborted connections, unreachable hosts and networks,
/// and interrupted calls.
pub fn is_transient(error: &Error) -> bool {
    match error {
        Error::Elapsed => true,
        Error::Io(e) => matches!(
            e.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::NotConnected
                | io::ErrorKind::TimedOut
                | io::ErrorKind::Interrupted
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable
                | io::ErrorKind::NetworkDown
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_cap() {
        let policy = Backoff::new(Duration::from_millis(100)).max_delay(Duration::from_millis(500));
        let delays: Vec<u128> = (1..=6).map(|n| policy.delay_after(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 500, 500, 500]);
    }

    #[test]
    fn factors_zero_and_one_keep_the_delay_constant() {
        for factor in [0, 1] {
            let policy = Backoff::new(Duration::from_secs(3)).factor(factor);
            assert_eq!(policy.delay_after(1), Duration::from_secs(3));
            assert_eq!(policy.delay_after(50), Duration::from_secs(3));
        }
    }

    #[test]
    fn huge_schedules_saturate_instead_of_overflowing() {
        let policy = Backoff::new(Duration::MAX)
            .factor(u32::MAX)
            .max_delay(Duration::MAX)
            .max_attempts(u32::MAX);
        assert_eq!(policy.delay_after(u32::MAX), Duration::MAX);
        let growing = Backoff::new(Duration::from_nanos(1))
            .factor(u32::MAX)
            .max_delay(Duration::MAX);
        assert_eq!(growing.delay_after(10), Duration::MAX);
    }

    #[test]
    fn there_is_always_a_first_attempt() {
        let policy = Backoff::new(Duration::from_secs(1)).max_attempts(0);
        assert_eq!(policy.attempts(), 1);
        assert_eq!(policy.total_delay(), Duration::ZERO);
        let three = Backoff::new(Duration::from_secs(1)).max_attempts(3);
        assert_eq!(three.total_delay(), Duration::from_secs(1 + 2));
    }

    #[test]
    fn transient_errors_are_the_ones_retrying_can_fix() {
        let io = |kind| Error::Io(io::Error::from(kind));
        assert!(is_transient(&Error::Elapsed));
        assert!(is_transient(&io(io::ErrorKind::ConnectionRefused)));
        assert!(is_transient(&io(io::ErrorKind::ConnectionReset)));
        assert!(!is_transient(&io(io::ErrorKind::PermissionDenied)));
        assert!(!is_transient(&io(io::ErrorKind::InvalidInput)));
        assert!(!is_transient(&Error::NoRuntime));
        assert!(!is_transient(&Error::Shutdown));
    }
}
