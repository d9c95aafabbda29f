//! Seeds: one per run, one per case derived from it, so a failure replays
//! with `BATON_SEED=<run seed>`.

use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh run seed from the clock, when none is given.
pub(crate) fn fresh() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    mix(nanos as u64 ^ u64::from(std::process::id()))
}

/// The seed of one case: the same for the same run seed and case id, on
/// every pair, so every pair sees the same random choices.
pub(crate) fn case_seed(run_seed: u64, case_id: &str) -> u64 {
    // FNV-1a over the id, then mixed with the run seed.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in case_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    mix(h ^ run_seed)
}

/// The run seeds of a sweep of `count` seeds (one when `count` is zero):
/// `first`, then seeds derived from it, all distinct.
pub(crate) fn sweep(first: u64, count: usize) -> Vec<u64> {
    const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut seeds = vec![first];
    let mut i: u64 = 0;
    while seeds.len() < count.max(1) {
        i += 1;
        let next = mix(first.wrapping_add(i.wrapping_mul(GOLDEN)));
        if !seeds.contains(&next) {
            seeds.push(next);
        }
    }
    seeds
}

/// splitmix64's finalizer: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_seeds_are_stable_and_distinct() {
        assert_eq!(case_seed(7, "io.a"), case_seed(7, "io.a"));
        assert_ne!(case_seed(7, "io.a"), case_seed(7, "io.b"));
        assert_ne!(case_seed(7, "io.a"), case_seed(8, "io.a"));
    }

    #[test]
    fn a_sweep_starts_at_the_run_seed_and_never_repeats() {
        assert_eq!(sweep(7, 0), [7]);
        assert_eq!(sweep(7, 1), [7]);
        let seeds = sweep(7, 5);
        assert_eq!((seeds.len(), seeds[0]), (5, 7));
        let mut unique = seeds.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 5, "{seeds:?}");
        assert_eq!(sweep(7, 5), seeds, "the same seeds from the same run seed");
    }
}
