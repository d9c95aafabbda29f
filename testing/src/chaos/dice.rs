//! Seeded decisions: one random stream per (source, direction), one for the
//! reactor's turns, each a pure function of the seed and its own history.
//!
//! Splitting the streams makes the faults on one socket independent of what
//! other sockets and other threads do: on a multi-thread executor the order
//! in which two sockets are polled varies between runs, but each socket
//! still meets the same sequence of faults for the same sequence of calls.

use baton_protocol::Direction;
use baton_protocol::reactor::SourceKey;

/// At most this many faults in a row on one stream; the next decision is
/// then "no fault". Whatever the rates, every loop that retries makes
/// progress.
pub(super) const MAX_STREAK: u32 = 3;

/// splitmix64's finalizer: spreads every input bit over the output, so
/// neighbouring stream ids get unrelated seeds.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One stream of decisions.
#[derive(Debug)]
pub(super) struct Dice {
    rng: fastrand::Rng,
    /// Faults injected in a row.
    streak: u32,
}

impl Dice {
    /// The stream of the reactor's turns.
    pub(super) fn for_turns(seed: u64) -> Dice {
        Dice::new(mix(seed ^ mix(u64::MAX)))
    }

    /// One stream of one direction of one source: `stream` tells apart
    /// independent kinds of decision (readiness, I/O) on the same one.
    pub(super) fn for_source(seed: u64, key: SourceKey, dir: Direction, stream: u64) -> Dice {
        let id = key.into_raw().wrapping_mul(4) | (dir.index() as u64) << 1 | (stream & 1);
        Dice::new(mix(seed ^ mix(id)))
    }

    /// Another stream of the reactor's turns, for a second kind of decision.
    pub(super) fn for_turns_also(seed: u64) -> Dice {
        Dice::new(mix(seed ^ mix(u64::MAX - 1)))
    }

    fn new(seed: u64) -> Dice {
        Dice {
            rng: fastrand::Rng::with_seed(seed),
            streak: 0,
        }
    }

    /// Picks one of the faults whose probabilities are `rates` (summing to
    /// at most 1 after clamping): `Some(index)`, or `None` for no fault,
    /// also forced after [`MAX_STREAK`] faults in a row.
    ///
    /// Always draws exactly one number, so the stream's later decisions do
    /// not depend on whether a fault was forced off.
    pub(super) fn pick(&mut self, rates: &[f64]) -> Option<usize> {
        let roll = self.rng.f64();
        let mut bound = 0.0;
        let mut picked = None;
        for (i, rate) in rates.iter().enumerate() {
            bound += rate;
            if roll < bound {
                picked = Some(i);
                break;
            }
        }
        if picked.is_some() && self.streak < MAX_STREAK {
            self.streak += 1;
            picked
        } else {
            self.streak = 0;
            None
        }
    }

    /// Whether a fault of probability `rate` happens; see [`pick`](Dice::pick).
    pub(super) fn chance(&mut self, rate: f64) -> bool {
        self.pick(&[rate]).is_some()
    }

    /// A number in `1..=max` (`max` at least 1).
    pub(super) fn between_one_and(&mut self, max: u64) -> u64 {
        self.rng.u64(1..=max.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let key = SourceKey::from_raw(5);
        let mut a = Dice::for_source(9, key, Direction::Read, 0);
        let mut b = Dice::for_source(9, key, Direction::Read, 0);
        let rolls = |d: &mut Dice| (0..64).map(|_| d.pick(&[0.3, 0.3])).collect::<Vec<_>>();
        assert_eq!(rolls(&mut a), rolls(&mut b));
    }

    #[test]
    fn streams_differ_by_source_direction_and_seed() {
        let key = SourceKey::from_raw(5);
        let first = |mut d: Dice| (0..8).map(|_| d.rng.u64(..)).collect::<Vec<_>>();
        let read = first(Dice::for_source(9, key, Direction::Read, 0));
        assert_ne!(read, first(Dice::for_source(9, key, Direction::Write, 0)));
        assert_ne!(
            read,
            first(Dice::for_source(
                9,
                SourceKey::from_raw(6),
                Direction::Read,
                0
            ))
        );
        assert_ne!(read, first(Dice::for_source(10, key, Direction::Read, 0)));
        assert_ne!(read, first(Dice::for_source(9, key, Direction::Read, 1)));
        assert_ne!(read, first(Dice::for_turns(9)));
        assert_ne!(first(Dice::for_turns(9)), first(Dice::for_turns_also(9)));
    }

    #[test]
    fn streaks_are_capped_even_at_rate_one() {
        let mut dice = Dice::for_turns(1);
        let picks: Vec<bool> = (0..12).map(|_| dice.chance(1.0)).collect();
        let pattern = [true, true, true, false];
        assert_eq!(picks, pattern.repeat(3));
    }

    #[test]
    fn rate_zero_never_fires() {
        let mut dice = Dice::for_turns(3);
        assert!((0..1000).all(|_| !dice.chance(0.0)));
    }
}
