//! Aggregation (median, min, max, ratio to the reference runtime), the
//! like-with-like verdicts ([`super::verdict`]) and the written results:
//! JSON, markdown, and the generated part of `BENCHMARKS.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::verdict::{Verdict, median};
use super::{Cell, Options};
use crate::proc;
use crate::rt::{Family, Kind};
use crate::workload::Workload;

/// The like-with-like verdict columns: a baton executor against a peer of
/// its kind.
const LIKE_WITH_LIKE: [(Family, Kind); 4] = [
    (Family::Multi, Kind::TokioMulti),
    (Family::Multi, Kind::SmolMulti),
    (Family::Local, Kind::TokioCurrent),
    (Family::Local, Kind::SmolLocal),
];

/// One verdict of a row: which baton pair against which peer.
pub(crate) struct Compared {
    /// What the column compares (`multi ÷ tokio-multi`, `best ÷ best peer`).
    pub(crate) label: String,
    pub(crate) baton: Kind,
    pub(crate) peer: Kind,
    pub(crate) verdict: Verdict,
}

/// The figures of one metric of one (workload, size) on one runtime.
pub(crate) struct Stat {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    /// `median / reference median`, when the reference ran.
    pub(crate) ratio: Option<f64>,
    pub(crate) samples: Vec<f64>,
}

/// One line of the tables: a metric of a (workload, size).
pub(crate) struct Row {
    pub(crate) workload: &'static str,
    pub(crate) size: &'static str,
    pub(crate) metric: &'static str,
    pub(crate) unit: &'static str,
    pub(crate) reference: Kind,
    pub(crate) stats: BTreeMap<Kind, Stat>,
    pub(crate) skipped: BTreeMap<Kind, String>,
    pub(crate) failed: BTreeMap<Kind, String>,
    /// The same metric on the `observed` build (baton's executor with its
    /// `tracing` and `metrics` features), per baton runtime.
    pub(crate) observed: BTreeMap<Kind, Stat>,
}

impl Row {
    /// The observed build against the plain one on `kind`: on ÷ off of
    /// the medians, and how the two sets of samples lie.
    fn observed_cost(&self, kind: Kind) -> Option<(f64, &'static str)> {
        let on = self.observed.get(&kind)?;
        let off = self.stats.get(&kind)?;
        let verdict = if on.samples.len() < 3 || off.samples.len() < 3 {
            "too few samples to tell"
        } else if on.min > off.max {
            "separate: on slower"
        } else if on.max < off.min {
            "separate: on faster"
        } else {
            "overlap"
        };
        (off.median > 0.0).then(|| (on.median / off.median, verdict))
    }

    /// The executor `family`'s baton pair: the epoll one (tokio and smol
    /// drive epoll too) if it ran, else the best that did.
    fn baton_of(&self, family: Family) -> Option<Kind> {
        let epoll = match family {
            Family::Multi => Kind::BatonEpollMulti,
            Family::Local => Kind::BatonEpollLocal,
        };
        if self.stats.contains_key(&epoll) {
            return Some(epoll);
        }
        self.best(|k| k.is_baton() && k.family() == Some(family))
            .map(|(k, _)| k)
    }

    /// `peer` if it ran; mini-redis stands for tokio-multi in `resp`.
    fn peer_or_app(&self, peer: Kind) -> Option<Kind> {
        let app = (peer == Kind::TokioMulti).then_some(Kind::MiniRedis);
        [Some(peer), app]
            .into_iter()
            .flatten()
            .find(|k| self.stats.contains_key(k))
    }

    fn compare(&self, label: String, baton: Kind, peer: Kind) -> Option<Compared> {
        let verdict = Verdict::new(
            &self.stats.get(&baton)?.samples,
            &self.stats.get(&peer)?.samples,
        )?;
        Some(Compared {
            label,
            baton,
            peer,
            verdict,
        })
    }

    /// Each baton executor against each peer of its kind, in
    /// [`LIKE_WITH_LIKE`] order (`None` where either did not run).
    pub(crate) fn like_with_like(&self) -> Vec<Option<Compared>> {
        LIKE_WITH_LIKE
            .iter()
            .map(|&(family, peer)| {
                let label = format!("{} ÷ {peer}", family_name(family));
                self.compare(label, self.baton_of(family)?, self.peer_or_app(peer)?)
            })
            .collect()
    }

    /// baton's best pair against the best peer.
    pub(crate) fn best_verdict(&self) -> Option<Compared> {
        let label = "best baton ÷ best peer".to_owned();
        self.compare(label, self.best_baton()?.0, self.best_peer()?.0)
    }

    /// baton's best pair against the mio loop or redis-server.
    pub(crate) fn limit_verdict(&self) -> Option<Compared> {
        let label = "best baton ÷ mio / redis".to_owned();
        self.compare(label, self.best_baton()?.0, self.limit()?.0)
    }

    fn best(&self, pick: impl Fn(Kind) -> bool) -> Option<(Kind, f64)> {
        self.stats
            .iter()
            .filter(|(k, _)| pick(**k))
            .map(|(k, s)| (*k, s.median))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// baton's best pair.
    pub(crate) fn best_baton(&self) -> Option<(Kind, f64)> {
        self.best(Kind::is_baton)
    }

    /// The best of tokio and smol (mini-redis in `resp`).
    pub(crate) fn best_peer(&self) -> Option<(Kind, f64)> {
        self.best(|k| k.is_peer() || k == Kind::MiniRedis)
    }

    /// The no-runtime limit (mio) or the reference server (redis).
    fn limit(&self) -> Option<(Kind, f64)> {
        self.best(|k| matches!(k, Kind::Mio | Kind::Redis))
    }

    /// best baton ÷ best peer: at most 1 meets the goal.
    pub(crate) fn goal(&self) -> Option<f64> {
        Some(self.best_baton()?.1 / self.best_peer()?.1)
    }
}

/// A finished run.
pub(crate) struct Report {
    pub(crate) rows: Vec<Row>,
    date: String,
    command: String,
    quick: bool,
    /// Repeats per workload.
    repeats: Vec<(&'static str, usize)>,
    machine: Value,
    versions: Value,
    workloads: Vec<(&'static str, &'static str)>,
}

fn stat(mut samples: Vec<f64>) -> Option<Stat> {
    let median = median(&samples)?;
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    samples.shrink_to_fit();
    Some(Stat {
        median,
        min,
        max,
        ratio: None,
        samples,
    })
}

fn family_name(family: Family) -> &'static str {
    match family {
        Family::Multi => "multi",
        Family::Local => "local",
    }
}

/// A verdict cell: `0.93 ≈`, naming the pair where it is not the
/// column's own.
fn verdict_cell(compared: Option<&Compared>, names: bool) -> String {
    let Some(c) = compared else {
        return "–".to_owned();
    };
    let shown = c.verdict.show();
    if names || !c.baton.is_baton_epoll() || c.peer == Kind::MiniRedis {
        format!("{shown} ({} ÷ {})", c.baton, c.peer)
    } else {
        shown
    }
}

impl Report {
    pub(crate) fn new(
        cells: &[(&'static Workload, &'static str, Cell)],
        options: &Options,
        repeats: Vec<(&'static str, usize)>,
    ) -> Report {
        let mut rows = Vec::new();
        let mut workloads = Vec::new();
        for (w, size, cell) in cells {
            if !workloads.iter().any(|(name, _)| name == &w.name) {
                workloads.push((w.name, w.what));
            }
            for metric in w.metrics {
                let mut stats = BTreeMap::new();
                for (kind, samples) in &cell.samples {
                    let values: Vec<f64> = samples
                        .iter()
                        .filter_map(|m| m.get(metric.name)?.as_f64())
                        .collect();
                    if let Some(s) = stat(values) {
                        stats.insert(*kind, s);
                    }
                }
                let observed = cell
                    .observed
                    .iter()
                    .filter_map(|(kind, samples)| {
                        let values = samples
                            .iter()
                            .filter_map(|m| m.get(metric.name)?.as_f64())
                            .collect();
                        Some((*kind, stat(values)?))
                    })
                    .collect();
                let reference = stats.get(&w.reference).map(|s| s.median);
                for s in stats.values_mut() {
                    s.ratio = reference.filter(|r| *r > 0.0).map(|r| s.median / r);
                }
                rows.push(Row {
                    workload: w.name,
                    size,
                    metric: metric.name,
                    unit: metric.unit,
                    reference: w.reference,
                    stats,
                    skipped: cell.skipped.clone(),
                    failed: cell.failed.clone(),
                    observed,
                });
            }
        }
        Report {
            rows,
            date: date(),
            command: options.command.clone(),
            quick: options.quick,
            repeats,
            machine: proc::machine(),
            versions: versions(&options.root.join("Cargo.lock")),
            workloads,
        }
    }

    /// `target/bench/latest.json`.
    pub(crate) fn json(&self) -> String {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let runtimes: serde_json::Map<String, Value> = row
                    .stats
                    .iter()
                    .map(|(k, s)| {
                        (
                            k.name().to_owned(),
                            json!({
                                "median": s.median,
                                "min": s.min,
                                "max": s.max,
                                "ratio": s.ratio,
                                "samples": s.samples,
                            }),
                        )
                    })
                    .collect();
                let named = |best: Option<(Kind, f64)>| {
                    best.map(|(k, v)| json!({"runtime": k.name(), "median": v}))
                };
                let reasons = |map: &BTreeMap<Kind, String>| -> serde_json::Map<String, Value> {
                    map.iter()
                        .map(|(k, r)| (k.name().to_owned(), Value::from(r.as_str())))
                        .collect()
                };
                json!({
                    "workload": row.workload,
                    "size": row.size,
                    "metric": row.metric,
                    "unit": row.unit,
                    "reference": row.reference.name(),
                    "runtimes": runtimes,
                    "best_baton": named(row.best_baton()),
                    "best_peer": named(row.best_peer()),
                    "limit": named(row.limit()),
                    "best_baton_over_best_peer": row.goal(),
                    "best_baton_over_limit": row
                        .best_baton()
                        .zip(row.limit())
                        .map(|((_, b), (_, l))| b / l),
                    "verdicts": row
                        .like_with_like()
                        .into_iter()
                        .flatten()
                        .chain(row.best_verdict())
                        .chain(row.limit_verdict())
                        .map(|c| json!({
                            "comparison": c.label,
                            "baton": c.baton.name(),
                            "peer": c.peer.name(),
                            "median_ratio": c.verdict.ratio,
                            "p_value": c.verdict.p,
                            "ranges_disjoint": c.verdict.disjoint,
                            "verdict": c.verdict.mark.symbol(),
                        }))
                        .collect::<Vec<_>>(),
                    "skipped": reasons(&row.skipped),
                    "failed": reasons(&row.failed),
                    "observed": row
                        .observed
                        .iter()
                        .map(|(k, s)| {
                            let cost = row.observed_cost(*k);
                            (
                                k.name().to_owned(),
                                json!({
                                    "median": s.median,
                                    "min": s.min,
                                    "max": s.max,
                                    "samples": s.samples,
                                    "on_over_off": cost.map(|c| c.0),
                                    "samples_lie": cost.map(|c| c.1),
                                }),
                            )
                        })
                        .collect::<serde_json::Map<String, Value>>(),
                })
            })
            .collect();
        let workloads: serde_json::Map<String, Value> = self
            .workloads
            .iter()
            .map(|(n, w)| ((*n).to_owned(), Value::from(*w)))
            .collect();
        let all = json!({
            "date": self.date,
            "command": self.command,
            "quick": self.quick,
            "repeats": self
                .repeats
                .iter()
                .map(|(w, n)| ((*w).to_owned(), Value::from(*n)))
                .collect::<serde_json::Map<String, Value>>(),
            "machine": self.machine,
            "versions": self.versions,
            "workloads": workloads,
            "rows": rows,
        });
        serde_json::to_string_pretty(&all).unwrap_or_default()
    }

    /// The tables, as `target/bench/latest.md` and the suite's output.
    pub(crate) fn markdown(&self) -> String {
        let mut md = String::new();
        // The owned-buffer echo pairs and mini-redis only where they were
        // measured: they take part in one workload each.
        let columns: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| k.is_runtime() || *k == Kind::MiniRedis)
            .filter(|k| {
                !(k.is_owned_echo() || *k == Kind::MiniRedis)
                    || self.rows.iter().any(|r| r.stats.contains_key(k))
            })
            .collect();
        let header = |md: &mut String, first: &str| {
            let _ = write!(md, "| workload | size | metric | {first}");
            for k in &columns {
                let _ = write!(md, "{k} | ");
            }
            let _ = writeln!(md, "mio / redis |");
            let _ = write!(
                md,
                "|---|---|---|{}",
                if first.is_empty() { "" } else { "---|" }
            );
            for _ in &columns {
                md.push_str("---:|");
            }
            let _ = writeln!(md, "---:|");
        };
        let _ = writeln!(
            md,
            "### Verdicts: baton's median ÷ the peer's, like with like\n\n\
             ✓ baton ahead, ✗ behind: only where the samples separate (two-sided \
             Mann–Whitney U test at 5 %, or min–max ranges apart, at least 3 \
             samples a side); ≈ otherwise, whatever the ratio. Each executor on \
             the epoll reactor (another pair is named where epoll did not run) \
             against the peers of its kind; mini-redis (tokio multi-thread) is \
             tokio's column for `resp`. Lower is better.\n"
        );
        let _ = write!(md, "| workload | size | metric | ");
        for (family, peer) in LIKE_WITH_LIKE {
            let _ = write!(md, "{} ÷ {peer} | ", family_name(family));
        }
        let _ = writeln!(md, "best baton ÷ best peer | best baton ÷ mio / redis |");
        let _ = writeln!(
            md,
            "|---|---|---|{}",
            "---|".repeat(LIKE_WITH_LIKE.len() + 2)
        );
        for row in &self.rows {
            let _ = write!(
                md,
                "| {} | {} | {} ({}) | ",
                row.workload, row.size, row.metric, row.unit
            );
            for compared in row.like_with_like() {
                let _ = write!(md, "{} | ", verdict_cell(compared.as_ref(), false));
            }
            let _ = writeln!(
                md,
                "{} | {} |",
                verdict_cell(row.best_verdict().as_ref(), true),
                verdict_cell(row.limit_verdict().as_ref(), true)
            );
        }
        let _ = writeln!(
            md,
            "\n### Ratios: median ÷ the reference's median (tokio-multi; redis-server for resp), lower is better\n"
        );
        header(&mut md, "");
        for row in &self.rows {
            let _ = write!(
                md,
                "| {} | {} | {} ({}) | ",
                row.workload, row.size, row.metric, row.unit
            );
            for k in &columns {
                let _ = write!(
                    md,
                    "{} | ",
                    self.cell(row, *k, |s| s.ratio.map(|r| format!("{r:.2}")))
                );
            }
            let _ = writeln!(
                md,
                "{} |",
                self.limit_cell(row, |s| s.ratio.map(|r| format!("{r:.2}")))
            );
        }
        let _ = writeln!(md, "\n### Figures: median (min–max)\n");
        header(&mut md, "unit | ");
        for row in &self.rows {
            let _ = write!(
                md,
                "| {} | {} | {} | {} | ",
                row.workload, row.size, row.metric, row.unit
            );
            for k in &columns {
                let _ = write!(md, "{} | ", self.cell(row, *k, |s| Some(figure(s))));
            }
            let _ = writeln!(md, "{} |", self.limit_cell(row, |s| Some(figure(s))));
        }
        if self.rows.iter().any(|r| !r.observed.is_empty()) {
            let _ = writeln!(
                md,
                "\n### Observability features compiled in, nothing installed: on ÷ off (target ≤ 1.05)\n"
            );
            let _ = writeln!(
                md,
                "baton's executor built with its `tracing` and `metrics` features (`baton-bench` with `--features observed`; no subscriber, no recorder, default builder settings) against the plain build, in the same run, interleaved. Median (min–max).\n"
            );
            let _ = writeln!(
                md,
                "| workload | size | runtime | unit | off | on | on ÷ off | samples |"
            );
            let _ = writeln!(md, "|---|---|---|---|---:|---:|---:|---|");
            for row in &self.rows {
                for (kind, on) in &row.observed {
                    let (Some(off), Some((ratio, verdict))) =
                        (row.stats.get(kind), row.observed_cost(*kind))
                    else {
                        continue;
                    };
                    let _ = writeln!(
                        md,
                        "| {} | {} | {kind} | {} | {} | {} | {ratio:.3} | {verdict} |",
                        row.workload,
                        row.size,
                        row.unit,
                        figure(off),
                        figure(on),
                    );
                }
            }
        }
        let mut notes = String::new();
        for row in &self.rows {
            if row.metric != row_first_metric(&self.rows, row) {
                continue;
            }
            for (k, reason) in &row.skipped {
                let _ = writeln!(
                    notes,
                    "- {} {} on {k}: skipped: {reason}",
                    row.workload, row.size
                );
            }
            for (k, reason) in &row.failed {
                let _ = writeln!(
                    notes,
                    "- {} {} on {k}: FAILED: {reason}",
                    row.workload, row.size
                );
            }
        }
        if !notes.is_empty() {
            let _ = writeln!(md, "\n### Skipped and failed\n\n{notes}");
        }
        let _ = writeln!(md, "\n### Workloads\n");
        for (name, what) in &self.workloads {
            let _ = writeln!(md, "- `{name}`: {what}.");
        }
        md
    }

    fn cell(&self, row: &Row, kind: Kind, show: impl Fn(&Stat) -> Option<String>) -> String {
        match row.stats.get(&kind) {
            Some(s) => show(s).unwrap_or_else(|| "?".to_owned()),
            None if row.failed.contains_key(&kind) => "failed".to_owned(),
            None if row.skipped.contains_key(&kind) => "n/a".to_owned(),
            None => "".to_owned(),
        }
    }

    fn limit_cell(&self, row: &Row, show: impl Fn(&Stat) -> Option<String>) -> String {
        [Kind::Mio, Kind::Redis]
            .into_iter()
            .map(|k| self.cell(row, k, &show))
            .find(|c| !c.is_empty())
            .unwrap_or_default()
    }

    /// The generated part of `BENCHMARKS.md`.
    pub(crate) fn benchmarks_section(&self) -> String {
        let m = &self.machine;
        let mut s = String::new();
        let _ = writeln!(s, "Generated by `{}` on {}.\n", self.command, self.date);
        let _ = writeln!(
            s,
            "- Machine: {} cores ({}), {} GiB of memory",
            m["cores"],
            m["cpu"].as_str().unwrap_or("?"),
            m["memory_gib"]
        );
        let _ = writeln!(
            s,
            "- Kernel (`/proc/version`): {}",
            m["kernel"].as_str().unwrap_or("?")
        );
        let _ = writeln!(s, "- `uname -a`: {}", m["uname"].as_str().unwrap_or("?"));
        let versions: Vec<String> = self
            .versions
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("?")))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(s, "- Peers: {}", versions.join(", "));
        // Repeats, grouped: `9 (spawn_inside, ..), 5 (tcp_echo, ..)`.
        let mut counts: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for (w, n) in &self.repeats {
            counts.entry(*n).or_default().push(w);
        }
        let repeats: Vec<String> = counts
            .iter()
            .rev()
            .map(|(n, ws)| format!("{n} ({})", ws.join(", ")))
            .collect();
        let _ = writeln!(
            s,
            "- Repeats per figure: {}; runtimes interleaved, each measurement in its own process; multi-thread runtimes use {} workers\n",
            repeats.join("; "),
            crate::rt::workers()
        );
        s.push_str(&self.markdown());
        s
    }
}

fn row_first_metric(rows: &[Row], row: &Row) -> &'static str {
    rows.iter()
        .find(|r| r.workload == row.workload && r.size == row.size)
        .map_or("", |r| r.metric)
}

fn figure(s: &Stat) -> String {
    let digits = |v: f64| {
        if v >= 100.0 {
            format!("{v:.0}")
        } else if v >= 10.0 {
            format!("{v:.1}")
        } else {
            format!("{v:.2}")
        }
    };
    format!("{} ({}–{})", digits(s.median), digits(s.min), digits(s.max))
}

/// Today, from `date` (UTC).
fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The peers' versions, from `Cargo.lock`.
fn versions(lock: &Path) -> Value {
    let text = std::fs::read_to_string(lock).unwrap_or_default();
    let mut found = serde_json::Map::new();
    let mut name = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_owned());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), &name)
            && [
                "tokio",
                "async-executor",
                "async-io",
                "futures-channel",
                "mio",
                "mini-redis",
                "polling",
                "async-task",
            ]
            .contains(&n.as_str())
        {
            found.insert(n.clone(), Value::from(v.trim_matches('"')));
        }
    }
    Value::Object(found)
}

const BEGIN: &str =
    "<!-- bench:begin (generated by `cargo xtask bench`; edits inside are overwritten) -->";
const END: &str = "<!-- bench:end -->";

/// Replaces the generated part of `BENCHMARKS.md` (between the markers),
/// keeping the hand-written notes around it; creates the file if needed.
pub(crate) fn update_benchmarks_md(path: &Path, section: &str) -> Result<(), String> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let generated = format!("{BEGIN}\n{section}\n{END}");
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{generated}{}", &old[..b], &old[e + END.len()..])
        }
        _ => format!("# Benchmarks\n\n{generated}\n"),
    };
    std::fs::write(path, new).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Row, stat, verdict_cell};
    use crate::rt::Kind;
    use crate::suite::verdict::Mark;

    fn row(samples: &[(Kind, &[f64])]) -> Row {
        Row {
            workload: "w",
            size: "1",
            metric: "ms",
            unit: "ms",
            reference: Kind::TokioMulti,
            stats: samples
                .iter()
                .filter_map(|(k, s)| Some((*k, stat(s.to_vec())?)))
                .collect(),
            skipped: BTreeMap::new(),
            failed: BTreeMap::new(),
            observed: BTreeMap::new(),
        }
    }

    const FAST: &[f64] = &[10.0, 10.5, 11.0, 10.2, 10.8];
    const SLOW: &[f64] = &[20.0, 20.5, 21.0, 20.2, 20.8];
    const FASTER: &[f64] = &[5.0, 5.5, 6.0, 5.2, 5.8];

    #[test]
    fn each_executor_meets_the_peers_of_its_kind() {
        let r = row(&[
            (Kind::BatonEpollMulti, SLOW),
            // A faster second reactor does not stand in for the epoll pair.
            (Kind::BatonPollMulti, FASTER),
            (Kind::BatonEpollLocal, FAST),
            (Kind::TokioMulti, FAST),
            (Kind::SmolMulti, SLOW),
            (Kind::TokioCurrent, SLOW),
        ]);
        let like = r.like_with_like();
        let [multi_tokio, multi_smol, local_tokio, local_smol] = &like[..] else {
            panic!("four columns");
        };
        let multi_tokio = multi_tokio.as_ref().expect("both ran");
        assert_eq!(
            (multi_tokio.baton, multi_tokio.peer),
            (Kind::BatonEpollMulti, Kind::TokioMulti)
        );
        assert_eq!(multi_tokio.verdict.mark, Mark::Behind);
        let multi_smol = multi_smol.as_ref().expect("both ran");
        assert_eq!(multi_smol.verdict.mark, Mark::Even);
        let local_tokio = local_tokio.as_ref().expect("both ran");
        assert_eq!(local_tokio.baton, Kind::BatonEpollLocal);
        assert_eq!(local_tokio.verdict.mark, Mark::Ahead);
        assert!(local_smol.is_none(), "smol-local did not run");
        // The best pair is the fastest of all, named in its cell.
        let best = r.best_verdict().expect("a best pair and a best peer");
        assert_eq!(
            (best.baton, best.peer),
            (Kind::BatonPollMulti, Kind::TokioMulti)
        );
        assert_eq!(
            verdict_cell(Some(&best), true),
            "0.52 ✓ (baton-poll-multi ÷ tokio-multi)"
        );
        assert_eq!(verdict_cell(Some(local_tokio), false), "0.51 ✓");
        assert_eq!(verdict_cell(None, false), "–");
        assert!(r.limit_verdict().is_none());
    }

    #[test]
    fn another_reactor_stands_in_when_epoll_did_not_run() {
        let r = row(&[
            (Kind::BatonUringLocal, FAST),
            (Kind::BatonPollLocal, SLOW),
            (Kind::SmolLocal, FAST),
        ]);
        let local_smol = r.like_with_like().pop().flatten().expect("both ran");
        assert_eq!(local_smol.baton, Kind::BatonUringLocal);
        assert_eq!(local_smol.verdict.mark, Mark::Even);
        assert_eq!(
            verdict_cell(Some(&local_smol), false),
            "1.00 ≈ (baton-uring-local ÷ smol-local)"
        );
    }

    #[test]
    fn mini_redis_is_tokios_column_in_resp() {
        let r = row(&[
            (Kind::BatonEpollMulti, FAST),
            (Kind::MiniRedis, SLOW),
            (Kind::Redis, FASTER),
        ]);
        let multi_tokio = r.like_with_like()[0].take().expect("mini-redis ran");
        assert_eq!(multi_tokio.peer, Kind::MiniRedis);
        assert_eq!(multi_tokio.verdict.mark, Mark::Ahead);
        assert_eq!(r.best_verdict().map(|c| c.peer), Some(Kind::MiniRedis));
        let limit = r.limit_verdict().expect("redis-server ran");
        assert_eq!(
            (limit.peer, limit.verdict.mark),
            (Kind::Redis, Mark::Behind)
        );
    }
}
