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
}
