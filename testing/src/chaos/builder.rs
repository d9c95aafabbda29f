//! The builder of [`Chaos`]: fault rates, short-I/O length, recording.

use baton_protocol::Reactor;

use super::Chaos;

/// How often each fault happens: a probability per decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Rates {
    pub(super) spurious_wake: f64,
    pub(super) delayed_ready: f64,
    pub(super) empty_turn: f64,
    pub(super) late_timers: f64,
    pub(super) would_block: f64,
    pub(super) interrupted: f64,
    pub(super) short_io: f64,
    /// The longest injected short read or write, in bytes (at least 1).
    pub(super) max_short: usize,
}

/// `p` as a probability: NaN is 0, the rest is clamped to `0.0..=1.0`.
fn probability(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

/// Configures a [`Chaos`]: how often each fault is injected.
///
/// Every rate is a probability per decision, from 0 (never) to 1 (always;
/// values outside are clamped, NaN counts as 0). Whatever the rates, one
/// kind of decision on one stream injects at most three faults in a row
/// before letting one call through untouched, so every retry loop
/// progresses.
///
/// | setter | decided at | default |
/// |---|---|---|
/// | [`spurious_wake`](Builder::spurious_wake) | each `poll_ready` that is `Pending` | 0.1 |
/// | [`delayed_ready`](Builder::delayed_ready) | each `poll_ready` that is ready | 0.1 |
/// | [`empty_turn`](Builder::empty_turn) | each `park` with nothing held back | 0.1 |
/// | [`late_timers`](Builder::late_timers) | each `park` with timers pending | 0.5 |
/// | [`would_block`](Builder::would_block) | each `io_fault` | 0.05 |
/// | [`interrupted`](Builder::interrupted) | each `io_fault` | 0.05 |
/// | [`short_io`](Builder::short_io) | each `io_fault` | 0.1 |
///
/// The three I/O rates share one decision: if they sum past 1, the earlier
/// kinds in this table win.
///
/// # Examples
///
/// ```
/// use baton_reactor_epoll::EpollReactor;
/// use baton_testing::chaos;
///
/// // Only I/O faults, and every read or write at most 3 bytes when short.
/// let chaos = chaos::Builder::new()
///     .quiet()
///     .would_block(0.2)
///     .short_io(0.5)
///     .max_short(3)
///     .record(true)
///     .build(EpollReactor::new()?, 42);
/// assert_eq!(chaos.seed(), 42);
/// # Ok::<(), baton_protocol::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build`"]
pub struct Builder {
    pub(super) rates: Rates,
    pub(super) record: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// The default rates (see the table), not recording.
    pub fn new() -> Builder {
        Builder {
            rates: Rates {
                spurious_wake: 0.1,
                delayed_ready: 0.1,
                empty_turn: 0.1,
                late_timers: 0.5,
                would_block: 0.05,
                interrupted: 0.05,
                short_io: 0.1,
                max_short: 16,
            },
            record: false,
        }
    }

    /// Every rate at zero: a starting point for enabling a few faults.
    pub fn quiet(mut self) -> Builder {
        self.rates = Rates {
            max_short: self.rates.max_short,
            ..Rates {
                spurious_wake: 0.0,
                delayed_ready: 0.0,
                empty_turn: 0.0,
                late_timers: 0.0,
                would_block: 0.0,
                interrupted: 0.0,
                short_io: 0.0,
                max_short: 1,
            }
        };
        self
    }

    /// How often a `poll_ready` that stored its waker also gets a wake-up at
    /// the next turn although nothing happened.
    pub fn spurious_wake(mut self, rate: f64) -> Builder {
        self.rates.spurious_wake = probability(rate);
        self
    }

    /// How often a ready direction is reported `Pending` once, its waker
    /// woken at the next turn.
    pub fn delayed_ready(mut self, rate: f64) -> Builder {
        self.rates.delayed_ready = probability(rate);
        self
    }

    /// How often `park` returns an empty turn at once, as after `EINTR`.
    pub fn empty_turn(mut self, rate: f64) -> Builder {
        self.rates.empty_turn = probability(rate);
        self
    }

    /// How often a turn fires timers late, by up to the inner reactor's
    /// [`resolution`](Reactor::resolution). Zero leaves the timers to the
    /// inner reactor (as does an inner resolution of zero, such as
    /// [`VirtualTime`](crate::VirtualTime)'s).
    pub fn late_timers(mut self, rate: f64) -> Builder {
        self.rates.late_timers = probability(rate);
        self
    }

    /// How often an I/O operation is made to return `WouldBlock` without
    /// running: the caller clears readiness and waits again.
    pub fn would_block(mut self, rate: f64) -> Builder {
        self.rates.would_block = probability(rate);
        self
    }

    /// How often an I/O operation is made to return `Interrupted` without
    /// running: the caller retries it.
    pub fn interrupted(mut self, rate: f64) -> Builder {
        self.rates.interrupted = probability(rate);
        self
    }

    /// How often a read or write is cut short, to between 1 and
    /// [`max_short`](Builder::max_short) bytes.
    pub fn short_io(mut self, rate: f64) -> Builder {
        self.rates.short_io = probability(rate);
        self
    }

    /// The longest short read or write, in bytes (16 by default; 0 counts
    /// as 1).
    pub fn max_short(mut self, bytes: usize) -> Builder {
        self.rates.max_short = bytes.max(1);
        self
    }

    /// Whether to keep the list of every fault injected, for
    /// [`Chaos::faults`] (off by default: a long test would accumulate it).
    pub fn record(mut self, record: bool) -> Builder {
        self.record = record;
        self
    }

    /// Wraps `inner`, deciding every fault from `seed`.
    pub fn build<R: Reactor>(self, inner: R, seed: u64) -> Chaos<R> {
        Chaos::with_builder(inner, seed, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_clamped_probabilities() {
        let b = Builder::new()
            .spurious_wake(f64::NAN)
            .delayed_ready(-1.0)
            .empty_turn(7.0)
            .max_short(0);
        assert_eq!(b.rates.spurious_wake, 0.0);
        assert_eq!(b.rates.delayed_ready, 0.0);
        assert_eq!(b.rates.empty_turn, 1.0);
        assert_eq!(b.rates.max_short, 1);
    }

    #[test]
    fn quiet_zeroes_every_rate_and_keeps_the_length() {
        let b = Builder::new().max_short(5).quiet();
        let r = b.rates;
        let rates = [
            r.spurious_wake,
            r.delayed_ready,
            r.empty_turn,
            r.late_timers,
            r.would_block,
            r.interrupted,
            r.short_io,
        ];
        assert!(rates.iter().all(|&p| p == 0.0));
        assert_eq!(r.max_short, 5);
    }
}
