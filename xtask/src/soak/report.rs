//! The soak's printout: each phase's trend as a short table, and the one
//! summary line.

use std::fmt::Write as _;

use super::phase::{Outcome, mib};
use super::verdict::Verdict;

/// Rows of samples a phase's table shows at most; the samples between
/// are left out (the verdict uses them all).
const ROWS: usize = 12;

/// The table of a phase: the idle reading, evenly spaced samples, the
/// reading after the load, and the RSS verdict.
pub(crate) fn table(o: &Outcome) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}): {} samples, one every {:?}; the first {:.0?} are warm-up",
        o.name,
        o.server_args,
        o.samples.len(),
        o.interval,
        o.warm_up,
    );
    let _ = writeln!(
        out,
        "  {:>8}  {:>10}  {:>5}  client running",
        "t", "RSS", "fds"
    );
    let row = |out: &mut String, t: &str, rss: u64, fds: usize, what: &str| {
        let _ = writeln!(out, "  {t:>8}  {:>10}  {fds:>5}  {what}", mib(rss));
    };
    row(&mut out, "before", o.idle.rss, o.idle.fds, "(none: idle)");
    for i in spread(o.samples.len(), ROWS) {
        let s = &o.samples[i];
        let warm = if s.at < o.warm_up { "  [warm-up]" } else { "" };
        let t = format!("{:.1} s", s.at.as_secs_f64());
        row(
            &mut out,
            &t,
            s.usage.rss,
            s.usage.fds,
            &format!("{}{warm}", s.running),
        );
    }
    if let Some(after) = o.after {
        row(
            &mut out,
            "after",
            after.rss,
            after.fds,
            "(none: clients gone)",
        );
    }
    let _ = writeln!(out, "  {}", verdict_line(o.verdict));
    out
}

/// The RSS verdict in words.
fn verdict_line(verdict: Verdict) -> String {
    match verdict {
        Verdict::Steady(m) | Verdict::Grew(m) => format!(
            "RSS after warm-up: median {} in the first third, {} in the last (limit {}): {}",
            mib(m.early),
            mib(m.late),
            mib(m.limit),
            if matches!(verdict, Verdict::Steady(_)) {
                "steady"
            } else {
                "GREW"
            }
        ),
        Verdict::TooFewSamples { have } => {
            format!("RSS after warm-up: {have} samples, too few for a verdict")
        }
    }
}

/// One phase's figures for the summary line.
pub(crate) fn summary(o: &Outcome) -> String {
    let mut s = format!(
        "{}: {} runs, {} requests; RSS {} idle",
        o.name,
        o.runs,
        o.requests,
        mib(o.idle.rss)
    );
    if let Verdict::Steady(m) | Verdict::Grew(m) = o.verdict {
        let _ = write!(
            s,
            ", {} -> {} under load (limit {})",
            mib(m.early),
            mib(m.late),
            mib(m.limit)
        );
    }
    let _ = write!(s, "; fds {} idle", o.idle.fds);
    if let Some(peak) = o.samples.iter().map(|s| s.usage.fds).max() {
        let _ = write!(s, ", {peak} at most");
    }
    if let Some(after) = o.after {
        let _ = write!(s, ", {} after", after.fds);
    }
    s
}

/// At most `rows` indices of `0..len`, evenly spread, first and last
/// included.
pub(crate) fn spread(len: usize, rows: usize) -> Vec<usize> {
    if len <= rows || rows < 2 {
        return (0..len.min(rows)).collect();
    }
    let last = len - 1;
    let steps = rows - 1;
    // Rounded to the nearest index; distinct because len > rows.
    (0..rows).map(|k| (k * last + steps / 2) / steps).collect()
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn spread_keeps_ends_and_spacing() {
        assert_eq!(spread(0, 12), Vec::<usize>::new());
        assert_eq!(spread(5, 12), vec![0, 1, 2, 3, 4]);
        assert_eq!(spread(11, 3), vec![0, 5, 10]);
        assert_eq!(spread(11, 1), vec![0]);
        let rows = spread(61, 12);
        assert_eq!(rows.len(), 12);
        assert_eq!((rows[0], rows[11]), (0, 60));
        assert!(
            rows.windows(2).all(|w| w[0] < w[1] && w[1] - w[0] <= 6),
            "{rows:?}"
        );
        let rows = spread(13, 12);
        assert_eq!(rows.len(), 12);
        assert!(rows.windows(2).all(|w| w[0] < w[1]), "{rows:?}");
    }
}
