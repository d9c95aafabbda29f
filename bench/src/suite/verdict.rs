//! Verdicts: whether baton's samples and a peer's separate, and which way.
//!
//! A ratio of medians alone says nothing on a shared 2-core machine, where
//! two draws of one runtime can differ by 15 %. A verdict is ✓ (baton ahead)
//! or ✗ (behind) only when the two sets of samples separate:
//!
//! - a two-sided Mann–Whitney U (rank) test rejects "same distribution" at
//!   5 % ([`rank_test`]: the exact distribution of U when no two samples
//!   tie, else the normal approximation with tie and continuity
//!   corrections, as scipy's `mannwhitneyu`), or
//! - the min–max ranges do not overlap.
//!
//! Otherwise it is ≈. Both need [`MIN_SAMPLES`] a side: one or two draws of
//! the same runtime miss each other's range often, and the rank test cannot
//! reach 5 % with fewer than 4 a side (3 against 3, fully apart, is
//! p = 0.1). The direction comes from the medians.

use libm::erfc;

/// The rank test's significance level (two-sided).
pub(crate) const ALPHA: f64 = 0.05;

/// Fewer samples than this on either side never separate.
pub(crate) const MIN_SAMPLES: usize = 3;

/// Which way a comparison went. Every metric is lower-is-better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// The samples separate and baton's median is the lower: ✓.
    Ahead,
    /// The samples do not separate: ≈.
    Even,
    /// The samples separate and baton's median is the higher: ✗.
    Behind,
}

impl Mark {
    /// ✓, ≈ or ✗.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Mark::Ahead => "✓",
            Mark::Even => "≈",
            Mark::Behind => "✗",
        }
    }
}

/// baton's samples against a peer's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Verdict {
    /// baton's median ÷ the peer's (`None` when the peer's is 0).
    pub(crate) ratio: Option<f64>,
    /// The two-sided Mann–Whitney p-value (`None` below [`MIN_SAMPLES`]).
    pub(crate) p: Option<f64>,
    /// The min–max ranges do not overlap (and each side has
    /// [`MIN_SAMPLES`]).
    pub(crate) disjoint: bool,
    /// ✓, ≈ or ✗.
    pub(crate) mark: Mark,
}

impl Verdict {
    /// baton's `baton` samples against the peer's `peer`; `None` when either
    /// side has no finite sample.
    pub(crate) fn new(baton: &[f64], peer: &[f64]) -> Option<Verdict> {
        let baton = finite(baton);
        let peer = finite(peer);
        let (b, p) = (median(&baton)?, median(&peer)?);
        let enough = baton.len() >= MIN_SAMPLES && peer.len() >= MIN_SAMPLES;
        let pvalue = enough.then(|| rank_test(&baton, &peer)).flatten();
        let disjoint = enough && {
            let (b_min, b_max) = range(&baton);
            let (p_min, p_max) = range(&peer);
            b_max < p_min || p_max < b_min
        };
        let separate = disjoint || pvalue.is_some_and(|p| p < ALPHA);
        let mark = match b.total_cmp(&p) {
            _ if !separate => Mark::Even,
            std::cmp::Ordering::Less => Mark::Ahead,
            std::cmp::Ordering::Greater => Mark::Behind,
            std::cmp::Ordering::Equal => Mark::Even,
        };
        Some(Verdict {
            ratio: (p > 0.0).then(|| b / p),
            p: pvalue,
            disjoint,
            mark,
        })
    }

    /// `0.93 ≈`: the ratio of medians and the mark.
    pub(crate) fn show(&self) -> String {
        match self.ratio {
            Some(r) => format!("{r:.2} {}", self.mark.symbol()),
            None => format!("? {}", self.mark.symbol()),
        }
    }
}

/// Up to this many samples in all, untied samples get the exact p-value.
const EXACT_UP_TO: usize = 60;

/// The two-sided Mann–Whitney U test's p-value for samples `a` and `b`
/// (`None` if either is empty or holds a NaN).
///
/// Written here rather than taken from statrs, whose `mannwhitneyu` (0.19)
/// returns 1 for the exact two-sided test whenever the first sample is the
/// smaller or the two are the same size: our usual case.
pub(crate) fn rank_test(a: &[f64], b: &[f64]) -> Option<f64> {
    u_test(a, b, true)
}

/// [`rank_test`]; `exact`: allow the exact distribution.
fn u_test(a: &[f64], b: &[f64], exact: bool) -> Option<f64> {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 || a.iter().chain(b).any(|v| v.is_nan()) {
        return None;
    }
    // Mid-ranks (1-based) of the pooled samples, and the tie groups' sizes.
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = pooled.len();
    let (mut rank_sum_a, mut ties, mut i) = (0.0, Vec::new(), 0);
    while i < n {
        let j = (i..n).find(|&j| pooled[j].0 != pooled[i].0).unwrap_or(n);
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum_a += mid_rank * pooled[i..j].iter().filter(|p| p.1).count() as f64;
        ties.push(j - i);
        i = j;
    }
    let u1 = rank_sum_a - (n1 * (n1 + 1)) as f64 / 2.0;
    let u = u1.max((n1 * n2) as f64 - u1);
    let p = if exact && n <= EXACT_UP_TO && ties.iter().all(|&t| t == 1) {
        // U is a whole number without ties.
        2.0 * exact_tail(n1, n2, u as usize)
    } else {
        let mean = (n1 * n2) as f64 / 2.0;
        let tie_term: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum();
        let nf = n as f64;
        let var = (n1 * n2) as f64 / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
        if var <= 0.0 {
            // Every sample equal: nothing tells them apart.
            return Some(1.0);
        }
        let z = (u - mean - 0.5) / var.sqrt();
        // Two-sided: 2 (1 - Φ(z)) = erfc(z / √2).
        erfc(z / std::f64::consts::SQRT_2)
    };
    Some(p.clamp(0.0, 1.0))
}

/// P(U ≥ `u`) for samples of `n1` and `n2` untied values under the null
/// hypothesis: the share of the C(n1 + n2, n1) rank sets for the first
/// sample whose U reaches `u`.
fn exact_tail(n1: usize, n2: usize, u: usize) -> f64 {
    let n = n1 + n2;
    // ways[k][s]: sets of k ranks out of 0..n (so far) summing to s.
    let max_sum = n * (n - 1) / 2;
    let mut ways = vec![vec![0u64; max_sum + 1]; n1 + 1];
    ways[0][0] = 1;
    for rank in 0..n {
        for k in (1..=n1.min(rank + 1)).rev() {
            for s in (rank..=max_sum).rev() {
                ways[k][s] += ways[k - 1][s - rank];
            }
        }
    }
    // U of a set = its rank sum (0-based) - (0 + 1 + .. + n1 - 1).
    let base = n1 * n1.saturating_sub(1) / 2;
    let total: u64 = ways[n1].iter().sum();
    let tail: u64 = ways[n1].iter().skip(base + u).sum();
    tail as f64 / total as f64
}

fn finite(samples: &[f64]) -> Vec<f64> {
    samples.iter().copied().filter(|v| v.is_finite()).collect()
}

fn range(samples: &[f64]) -> (f64, f64) {
    samples
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// The median (the mean of the middle two for an even count).
pub(crate) fn median(samples: &[f64]) -> Option<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::{Mark, Verdict, median, rank_test, u_test};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn textbook_exact_p_value() {
        // scipy's `mannwhitneyu` example (exact, no ties): U = 17 of 20,
        // p = 2 × 7 / C(9, 4) = 14 / 126.
        let males = [19.0, 22.0, 16.0, 29.0, 24.0];
        let females = [20.0, 11.0, 17.0, 12.0];
        let p = rank_test(&males, &females).expect("a p-value");
        assert!(close(p, 14.0 / 126.0), "p = {p}");
        // Symmetric: which side is first does not matter two-sided.
        let q = rank_test(&females, &males).expect("a p-value");
        assert!(close(p, q), "{p} vs {q}");
    }

    #[test]
    fn fully_apart_exact_p_value() {
        // 4 against 4, every one of one side below the other: 2 / C(8, 4).
        let p = rank_test(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0]).expect("a p-value");
        assert!(close(p, 2.0 / 70.0), "p = {p}");
    }

    #[test]
    fn textbook_normal_approximation() {
        // scipy's example again, `method="asymptotic"` (continuity
        // correction on): p = 0.11134688653314041.
        let males = [19.0, 22.0, 16.0, 29.0, 24.0];
        let females = [20.0, 11.0, 17.0, 12.0];
        let p = u_test(&males, &females, false).expect("a p-value");
        assert!((p - 0.111_346_886_533_140_41).abs() < 1e-9, "p = {p}");
    }

    #[test]
    fn exact_and_approximate_agree_on_nine_a_side() {
        // 9 against 9, interleaved but mostly apart: the exact tail and the
        // normal approximation come out close.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 10.0, 12.0];
        let b = [8.0, 9.0, 11.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0];
        let exact = rank_test(&a, &b).expect("a p-value");
        let approx = u_test(&a, &b, false).expect("a p-value");
        // 2 × 19 / C(18, 9), counted by brute force over the 48 620 sets.
        assert!(
            (exact - 0.000_781_571_369_806_663_9).abs() < 1e-12,
            "{exact}"
        );
        assert!((exact - approx).abs() < 0.002, "{exact} vs {approx}");
    }

    #[test]
    fn normal_approximation_with_ties() {
        // 9 a side (the normal approximation), the same values on both
        // sides: nothing to tell apart, p = 1.
        let a = [5.0, 5.0, 6.0, 6.0, 7.0, 7.0, 8.0, 8.0, 9.0];
        let p = rank_test(&a, &a).expect("a p-value");
        assert!(close(p, 1.0), "p = {p}");
    }

    #[test]
    fn separated_samples_give_a_mark_each_way() {
        let fast = [10.0, 11.0, 12.0, 10.5, 11.5, 10.2, 11.1, 12.2, 10.8];
        let slow = [14.0, 15.0, 16.0, 14.5, 15.5, 14.2, 15.1, 16.2, 14.8];
        let ahead = Verdict::new(&fast, &slow).expect("a verdict");
        assert_eq!(ahead.mark, Mark::Ahead);
        assert!(ahead.disjoint);
        assert!(ahead.p.is_some_and(|p| p < 0.01), "{ahead:?}");
        assert_eq!(ahead.show(), format!("{:.2} ✓", 11.0 / 15.0));
        let behind = Verdict::new(&slow, &fast).expect("a verdict");
        assert_eq!(behind.mark, Mark::Behind);
        assert!(behind.show().ends_with('✗'));
    }

    #[test]
    fn overlapping_samples_are_even() {
        // Medians 0.9 apart, but the ranges interleave: no evidence.
        let a = [10.0, 12.0, 14.0, 16.0, 18.0, 11.0, 13.0, 15.0, 17.0];
        let b = [10.5, 12.5, 14.5, 16.5, 18.5, 11.5, 13.5, 15.5, 17.5];
        let v = Verdict::new(&a, &b).expect("a verdict");
        assert_eq!(v.mark, Mark::Even);
        assert!(!v.disjoint);
        assert!(v.p.is_some_and(|p| p > 0.05), "{v:?}");
        assert!(v.ratio.is_some_and(|r| r < 1.0));
    }

    #[test]
    fn rank_test_separates_overlapping_ranges() {
        // One outlier joins the ranges, the ranks still separate.
        let a = [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6, 10.7, 30.0];
        let b = [20.0, 20.1, 20.2, 20.3, 20.4, 20.5, 20.6, 20.7, 20.8];
        let v = Verdict::new(&a, &b).expect("a verdict");
        assert!(!v.disjoint);
        assert_eq!(v.mark, Mark::Ahead, "{v:?}");
    }

    #[test]
    fn three_apart_separate_by_range_alone() {
        // 3 against 3 fully apart: p = 0.1, but the ranges do not overlap.
        let v = Verdict::new(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).expect("a verdict");
        assert!(v.p.is_some_and(|p| close(p, 0.1)), "{v:?}");
        assert!(v.disjoint);
        assert_eq!(v.mark, Mark::Ahead);
    }

    #[test]
    fn too_few_samples_are_even() {
        // One draw each (--quick) is no evidence, however far apart.
        let v = Verdict::new(&[1.0], &[100.0]).expect("a verdict");
        assert_eq!(v.mark, Mark::Even);
        assert_eq!(v.p, None);
        assert_eq!(v.show(), "0.01 ≈");
        let v = Verdict::new(&[1.0, 1.1], &[100.0, 101.0, 102.0]).expect("a verdict");
        assert_eq!(v.mark, Mark::Even);
    }

    #[test]
    fn missing_or_zero_sides() {
        assert_eq!(Verdict::new(&[], &[1.0]), None);
        assert_eq!(Verdict::new(&[f64::NAN], &[1.0]), None);
        let v = Verdict::new(&[1.0, 2.0, 3.0], &[0.0, 0.0, 0.0]).expect("a verdict");
        assert_eq!(v.ratio, None);
        assert_eq!(v.mark, Mark::Behind);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
