//! Whether a server's memory grew under steady load: the pure part of
//! the soak, kept apart so that unit tests can pin it down.
//!
//! The samples judged are those taken after warm-up, while the same cycle
//! of clients runs over and over. A server that keeps what it should free
//! grows with the work done, so its late samples stand above its early
//! ones by an amount that rises with the run's length; one that does not
//! levels off once its buffers, keyspace, thread arenas and allocator
//! caches have reached their working size.
//!
//! The verdict compares the **median of the first third** of those
//! samples with the **median of the last third**. Medians, because RSS
//! swings with whichever client happens to run when a sample is taken (a
//! run with 200 connections holds more buffers than one with 16); a leak
//! moves the whole third, a swing moves a few samples. Thirds, because the
//! two groups are then a third of the run apart, whatever its length.

/// How much the late median may exceed the early one before the soak calls
/// it growth: `percent` of the early median plus `slack` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tolerance {
    /// Growth allowed in proportion to the early median, in percent.
    pub(crate) percent: u64,
    /// Growth allowed whatever the size, in bytes.
    pub(crate) slack: u64,
}

/// The soak's tolerance: 10 % plus 4 MiB.
///
/// The slack covers growth that is bounded but slow to settle and does
/// not scale with the server: glibc keeps an arena per thread, each
/// settling at the high-water mark of the busiest client run, and freed
/// pages below a live allocation stay resident. After warm-up the `resp`
/// server's median still moved by 0.5 MiB over a 5-minute soak on the
/// reference machine (13.6 to 14.1 MiB) and by up to 2 MiB within a
/// 1-minute one; 4 MiB leaves room for a busier machine. The percentage
/// covers fragmentation that scales with the working set (a larger
/// keyspace, more connections). Against that, leaking 16 bytes per
/// request (tried: a `Box::leak` in the `resp` server's request loop) put
/// 18 MiB between the first and last thirds of a 1-minute soak (33.7 to
/// 52.2 MiB), and a longer soak only widens the gap while the tolerance
/// stays put.
pub(crate) const TOLERANCE: Tolerance = Tolerance {
    percent: 10,
    slack: 4 * 1024 * 1024,
};

/// The fewest samples after warm-up that give a verdict: two in each
/// third, so that neither median is a single reading.
pub(crate) const MIN_SAMPLES: usize = 6;

/// What the RSS samples after warm-up say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The late median is within the tolerance of the early one.
    Steady(Medians),
    /// The late median is past it: memory grew under steady load.
    Grew(Medians),
    /// Too few samples to judge (the phase was cut short).
    TooFewSamples {
        /// Samples after warm-up.
        have: usize,
    },
}

/// The figures a verdict rests on, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Medians {
    /// Median RSS of the first third of the samples.
    pub(crate) early: u64,
    /// Median RSS of the last third.
    pub(crate) late: u64,
    /// The most `late` may be: `early` plus the tolerance.
    pub(crate) limit: u64,
}

/// Judges the RSS samples `rss` (bytes, in the order taken, warm-up left
/// out) against `tolerance`.
pub(crate) fn judge(rss: &[u64], tolerance: Tolerance) -> Verdict {
    if rss.len() < MIN_SAMPLES {
        return Verdict::TooFewSamples { have: rss.len() };
    }
    let third = rss.len() / 3;
    let early = median(&rss[..third]);
    let late = median(&rss[rss.len() - third..]);
    let proportional = u128::from(early) * u128::from(tolerance.percent) / 100;
    let limit = early
        .saturating_add(u64::try_from(proportional).unwrap_or(u64::MAX))
        .saturating_add(tolerance.slack);
    let medians = Medians { early, late, limit };
    if late > limit {
        Verdict::Grew(medians)
    } else {
        Verdict::Steady(medians)
    }
}

/// The median of a non-empty slice (the lower of the two middle values
/// for an even length, so that one high reading cannot raise it).
fn median(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted[(sorted.len() - 1) / 2]
}

#[cfg(test)]
mod tests {
    use super::{Medians, TOLERANCE, Tolerance, Verdict, judge, median};

    const MIB: u64 = 1024 * 1024;
    const TOL: Tolerance = Tolerance {
        percent: 10,
        slack: MIB,
    };

    #[test]
    fn medians_of_odd_and_even_lengths() {
        assert_eq!(median(&[5]), 5);
        assert_eq!(median(&[3, 1, 2]), 2);
        assert_eq!(median(&[4, 1, 3, 2]), 2);
        assert_eq!(median(&[9, 9, 1, 1]), 1);
    }

    #[test]
    fn a_flat_series_is_steady() {
        let rss = vec![20 * MIB; 30];
        assert_eq!(
            judge(&rss, TOL),
            Verdict::Steady(Medians {
                early: 20 * MIB,
                late: 20 * MIB,
                limit: 20 * MIB + 2 * MIB + MIB,
            })
        );
    }

    #[test]
    fn steady_linear_growth_is_caught() {
        // 10 MiB growing by 256 KiB a sample: 30 samples end at 17.25 MiB.
        let rss: Vec<u64> = (0..30).map(|i| 10 * MIB + i * MIB / 4).collect();
        let Verdict::Grew(m) = judge(&rss, TOL) else {
            panic!("{:?}", judge(&rss, TOL));
        };
        assert_eq!(m.early, 10 * MIB + 4 * MIB / 4);
        assert_eq!(m.late, 10 * MIB + 24 * MIB / 4);
        assert!(m.late > m.limit);
    }

    #[test]
    fn the_limit_is_percent_plus_slack_and_inclusive() {
        let early = 100 * MIB;
        let limit = early + 10 * MIB + MIB;
        let series = |late: u64| {
            let mut rss = vec![early; 10];
            rss.extend(vec![late; 10]);
            judge(&rss, TOL)
        };
        assert!(matches!(series(limit), Verdict::Steady(m) if m.limit == limit));
        assert!(matches!(series(limit + 1), Verdict::Grew(m) if m.limit == limit));
    }

    #[test]
    fn spikes_and_dips_do_not_decide() {
        // A few readings taken while the busiest client ran stand far
        // above the rest, in the last third too; the medians ignore them.
        let mut rss = vec![12 * MIB; 30];
        for i in [3, 14, 25, 28] {
            rss[i] = 40 * MIB;
        }
        rss[1] = MIB;
        assert!(matches!(judge(&rss, TOL), Verdict::Steady(_)));
    }

    #[test]
    fn growth_in_the_middle_that_levels_off_is_steady_only_within_tolerance() {
        // A step up in the middle third, then flat: the late median sees
        // the step, so it passes only if the step fits the tolerance.
        let step = |by: u64| {
            let rss: Vec<u64> = (0..30)
                .map(|i| if i < 15 { 10 * MIB } else { 10 * MIB + by })
                .collect();
            judge(&rss, TOL)
        };
        assert!(matches!(step(MIB), Verdict::Steady(_)));
        assert!(matches!(step(3 * MIB), Verdict::Grew(_)));
    }

    #[test]
    fn a_shrinking_series_is_steady() {
        let rss: Vec<u64> = (0..30).map(|i| 50 * MIB - i * MIB).collect();
        assert!(matches!(judge(&rss, TOL), Verdict::Steady(_)));
    }

    #[test]
    fn too_few_samples_give_no_verdict() {
        assert_eq!(judge(&[MIB; 5], TOL), Verdict::TooFewSamples { have: 5 });
        assert!(matches!(judge(&[MIB; 6], TOL), Verdict::Steady(_)));
        assert_eq!(judge(&[], TOL), Verdict::TooFewSamples { have: 0 });
    }

    #[test]
    fn the_soak_tolerance_is_ten_percent_and_four_mib() {
        let series = |late: u64| {
            let mut rss = vec![20 * MIB; 10];
            rss.extend(vec![late; 10]);
            judge(&rss, TOLERANCE)
        };
        let limit = 20 * MIB + 2 * MIB + 4 * MIB;
        assert!(matches!(series(limit), Verdict::Steady(_)));
        assert!(matches!(series(limit + 1), Verdict::Grew(_)));
    }
}
