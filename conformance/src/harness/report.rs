//! The report of a run: the matrix table, JSON and JUnit.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::json;

/// The result of one case on one pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The case passed.
    Pass,
    /// The case failed, with the message.
    Fail(String),
    /// The pair lacks something the case needs; the reason.
    Skip(String),
}

/// One cell of the matrix.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The case id.
    pub case: String,
    /// The pair's name.
    pub pair: String,
    /// What happened.
    pub status: Status,
    /// How long it ran.
    pub millis: u64,
}

/// A column of the matrix: a pair, grouped under its reactor.
#[derive(Clone, Debug)]
pub struct Column {
    /// The pair's name.
    pub pair: String,
    /// The reactor's name (the group heading).
    pub reactor: String,
    /// The executor's name.
    pub executor: String,
    /// The column heading: the executor's short tag.
    pub tag: String,
}

/// Everything a run found.
#[derive(Debug)]
pub struct Report {
    /// The run's seed: `BATON_SEED=<seed>` replays it.
    pub seed: u64,
    /// Every seed the run used: the run's seed, then the others of a seed
    /// sweep (`--seeds`), whose failures each name their own.
    pub seeds: Vec<u64>,
    /// Case ids and summaries, in registry order.
    pub cases: Vec<(String, String)>,
    /// The pairs, in matrix order.
    pub columns: Vec<Column>,
    cells: HashMap<(String, String), Cell>,
}

/// One cell per (case, pair) from the runs of a seed sweep: failed if any
/// run failed it (every run's message, each naming its seed), otherwise as
/// the first run had it; the time is the sum of the runs'.
pub(crate) fn merge_runs(runs: Vec<Vec<Cell>>) -> Vec<Cell> {
    let mut merged: Vec<Cell> = Vec::new();
    let mut at: HashMap<(String, String), usize> = HashMap::new();
    for cell in runs.into_iter().flatten() {
        let key = (cell.case.clone(), cell.pair.clone());
        let Some(&i) = at.get(&key) else {
            at.insert(key, merged.len());
            merged.push(cell);
            continue;
        };
        let kept = &mut merged[i];
        kept.millis += cell.millis;
        match (&mut kept.status, cell.status) {
            (Status::Fail(first), Status::Fail(next)) => {
                first.push('\n');
                first.push_str(&next);
            }
            (kept_status, failed @ Status::Fail(_)) => *kept_status = failed,
            _ => {}
        }
    }
    merged
}

/// Counts of a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Cells that passed.
    pub passed: usize,
    /// Cells that failed.
    pub failed: usize,
    /// Cells skipped for a missing capability.
    pub skipped: usize,
}

impl Report {
    pub(crate) fn new(
        seeds: Vec<u64>,
        cases: Vec<(String, String)>,
        columns: Vec<Column>,
        cells: Vec<Cell>,
    ) -> Self {
        let cells = cells
            .into_iter()
            .map(|c| ((c.case.clone(), c.pair.clone()), c))
            .collect();
        Report {
            seed: seeds.first().copied().unwrap_or_default(),
            seeds,
            cases,
            columns,
            cells,
        }
    }

    /// The cell of `case` on `pair`, if it ran or was skipped.
    pub fn cell(&self, case: &str, pair: &str) -> Option<&Cell> {
        self.cells.get(&(case.to_owned(), pair.to_owned()))
    }

    fn ordered(&self) -> impl Iterator<Item = &Cell> {
        self.cases.iter().flat_map(move |(case, _)| {
            self.columns
                .iter()
                .filter_map(move |col| self.cell(case, &col.pair))
        })
    }

    /// Passed, failed and skipped counts.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for cell in self.cells.values() {
            match cell.status {
                Status::Pass => t.passed += 1,
                Status::Fail(_) => t.failed += 1,
                Status::Skip(_) => t.skipped += 1,
            }
        }
        t
    }

    /// Every failed cell, in matrix order.
    pub fn failures(&self) -> Vec<&Cell> {
        self.ordered()
            .filter(|c| matches!(c.status, Status::Fail(_)))
            .collect()
    }

    /// The closing line: `N passed, N failed, N skipped`.
    pub fn summary_line(&self) -> String {
        let t = self.totals();
        format!(
            "{} passed, {} failed, {} skipped",
            t.passed, t.failed, t.skipped
        )
    }

    /// The matrix as text: cases down, pairs across (grouped by reactor),
    /// then skip reasons, failure details and the closing line.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let id_width = self
            .cases
            .iter()
            .map(|(id, _)| id.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let tags: Vec<&str> = self.columns.iter().map(|c| c.tag.as_str()).collect();
        // One cell width for the whole table, wide enough for every tag and
        // for every reactor's name over its group of columns.
        let widest_tag = tags.iter().map(|t| t.chars().count()).max().unwrap_or(1);
        let width = self
            .columns
            .iter()
            .map(|c| {
                let group = self
                    .columns
                    .iter()
                    .filter(|o| o.reactor == c.reactor)
                    .count();
                (c.reactor.chars().count() + 1)
                    .div_ceil(group.max(1))
                    .saturating_sub(1)
            })
            .max()
            .unwrap_or(1)
            .max(widest_tag)
            .max(1);

        // Group headings: each reactor over its run of columns.
        let mut line1 = format!("{:id_width$}", "");
        let mut line2 = format!("{:id_width$}", "case");
        let mut i = 0;
        while i < self.columns.len() {
            let reactor = &self.columns[i].reactor;
            let n = self.columns[i..]
                .iter()
                .take_while(|c| &c.reactor == reactor)
                .count();
            let span = n * (width + 1);
            let name: String = reactor.chars().take(span.saturating_sub(1)).collect();
            let _ = write!(line1, " │{name:<span$}", span = span - 1);
            line2.push_str(" │");
            for t in &tags[i..i + n] {
                let _ = write!(line2, "{t:^width$} ");
            }
            line2.pop();
            i += n;
        }
        let _ = writeln!(out, "{}", line1.trim_end());
        let _ = writeln!(out, "{}", line2.trim_end());
        let _ = writeln!(out, "{}", "─".repeat(line2.chars().count()));

        let mut category = "";
        for (case, _) in &self.cases {
            let cat = case.split_once('.').map_or(case.as_str(), |(c, _)| c);
            if cat != category && !category.is_empty() {
                out.push('\n');
            }
            category = cat;
            let _ = write!(out, "{case:id_width$}");
            let mut previous_reactor: Option<&str> = None;
            for col in &self.columns {
                if previous_reactor != Some(&col.reactor) {
                    out.push_str(" │");
                    previous_reactor = Some(&col.reactor);
                } else {
                    out.push(' ');
                }
                let mark = match self.cell(case, &col.pair).map(|c| &c.status) {
                    Some(Status::Pass) => "✓",
                    Some(Status::Fail(_)) => "✗",
                    Some(Status::Skip(_)) => "-",
                    None => " ",
                };
                let _ = write!(out, "{mark:^width$}");
            }
            out.push('\n');
        }

        let _ = writeln!(out, "\ncolumns (executors):");
        let mut legend: Vec<(&str, &str)> = Vec::new();
        for col in &self.columns {
            if !legend.contains(&(col.tag.as_str(), col.executor.as_str())) {
                legend.push((col.tag.as_str(), col.executor.as_str()));
            }
        }
        for (tag, executor) in legend {
            let _ = writeln!(out, "  {tag:<width$} = {executor}");
        }

        let skips = self.skip_reasons();
        if !skips.is_empty() {
            let _ = writeln!(out, "\nskipped (- in the table):");
            for ((case, reason), pairs) in skips {
                let _ = writeln!(out, "  {case} on {} pairs: {reason}", pairs.len());
            }
        }

        let failures = self.failures();
        if !failures.is_empty() {
            if self.seeds.len() > 1 {
                let _ = writeln!(
                    out,
                    "\nfailures (each names the BATON_SEED that replays it, with the same \
                     --reactor, --executor and --filter):"
                );
            } else {
                let _ = writeln!(out, "\nfailures (replay with BATON_SEED={}):", self.seed);
            }
            for cell in failures {
                if let Status::Fail(message) = &cell.status {
                    let _ = writeln!(out, "\n✗ {} on {}:", cell.case, cell.pair);
                    for line in message.lines() {
                        let _ = writeln!(out, "    {line}");
                    }
                }
            }
        }
        if self.seeds.len() > 1 {
            let seeds: Vec<String> = self.seeds.iter().map(u64::to_string).collect();
            let _ = writeln!(
                out,
                "\nseeds ({} runs of these pairs, one per seed): {}",
                self.seeds.len(),
                seeds.join(", ")
            );
        }
        let _ = writeln!(out, "\n{}", self.summary_line());
        out
    }

    fn skip_reasons(&self) -> BTreeMap<(String, String), Vec<String>> {
        let mut skips: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for cell in self.ordered() {
            if let Status::Skip(reason) = &cell.status {
                skips
                    .entry((cell.case.clone(), reason.clone()))
                    .or_default()
                    .push(cell.pair.clone());
            }
        }
        skips
    }

    /// The same figures as JSON.
    pub fn to_json(&self) -> String {
        let t = self.totals();
        let results: Vec<_> = self
            .ordered()
            .map(|c| {
                let (status, message) = match &c.status {
                    Status::Pass => ("pass", ""),
                    Status::Fail(m) => ("fail", m.as_str()),
                    Status::Skip(r) => ("skip", r.as_str()),
                };
                json!({
                    "case": c.case, "pair": c.pair, "status": status,
                    "message": message, "millis": c.millis,
                })
            })
            .collect();
        let doc = json!({
            "seed": self.seed,
            "seeds": self.seeds,
            "cases": self.cases.iter().map(|(id, s)| json!({"id": id, "summary": s})).collect::<Vec<_>>(),
            "pairs": self.columns.iter().map(|c| json!({
                "pair": c.pair, "reactor": c.reactor, "executor": c.executor,
            })).collect::<Vec<_>>(),
            "results": results,
            "summary": {"passed": t.passed, "failed": t.failed, "skipped": t.skipped},
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    /// The same figures as JUnit XML: one test suite per pair.
    pub fn to_junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let t = self.totals();
        let _ = writeln!(
            out,
            "<testsuites name=\"baton-conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            t.passed + t.failed + t.skipped,
            t.failed,
            t.skipped
        );
        for col in &self.columns {
            let cells: Vec<&Cell> = self
                .cases
                .iter()
                .filter_map(|(case, _)| self.cell(case, &col.pair))
                .collect();
            let failed = cells
                .iter()
                .filter(|c| matches!(c.status, Status::Fail(_)))
                .count();
            let skipped = cells
                .iter()
                .filter(|c| matches!(c.status, Status::Skip(_)))
                .count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" skipped=\"{skipped}\">",
                xml(&col.pair),
                cells.len()
            );
            for c in cells {
                let secs = c.millis as f64 / 1000.0;
                let head = format!(
                    "    <testcase classname=\"{}\" name=\"{}\" time=\"{secs:.3}\"",
                    xml(&c.pair),
                    xml(&c.case)
                );
                match &c.status {
                    Status::Pass => {
                        let _ = writeln!(out, "{head}/>");
                    }
                    Status::Fail(m) => {
                        let first = m.lines().next().unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "{head}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                            xml(first),
                            xml(m)
                        );
                    }
                    Status::Skip(r) => {
                        let _ = writeln!(
                            out,
                            "{head}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                            xml(r)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// Escapes text for an XML attribute or element.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let columns = vec![
            Column {
                pair: "e×l".into(),
                reactor: "e".into(),
                executor: "l".into(),
                tag: "l".into(),
            },
            Column {
                pair: "e×m".into(),
                reactor: "e".into(),
                executor: "m".into(),
                tag: "m".into(),
            },
        ];
        let cells = vec![
            Cell {
                case: "a.one".into(),
                pair: "e×l".into(),
                status: Status::Pass,
                millis: 1,
            },
            Cell {
                case: "a.one".into(),
                pair: "e×m".into(),
                status: Status::Fail("boom <x>".into()),
                millis: 2,
            },
            Cell {
                case: "a.two".into(),
                pair: "e×l".into(),
                status: Status::Skip("needs y".into()),
                millis: 0,
            },
            Cell {
                case: "a.two".into(),
                pair: "e×m".into(),
                status: Status::Pass,
                millis: 3,
            },
        ];
        let cases = vec![
            ("a.one".into(), "first".into()),
            ("a.two".into(), "second".into()),
        ];
        Report::new(vec![42], cases, columns, cells)
    }

    #[test]
    fn totals_and_summary_count_every_cell() {
        let r = sample();
        assert_eq!(
            r.totals(),
            Totals {
                passed: 2,
                failed: 1,
                skipped: 1
            }
        );
        assert_eq!(r.summary_line(), "2 passed, 1 failed, 1 skipped");
    }

    #[test]
    fn table_marks_cells_and_details_failures() {
        let t = sample().to_table();
        assert!(t.contains("a.one"), "{t}");
        assert!(t.contains('✗') && t.contains('✓') && t.contains('-'), "{t}");
        assert!(t.contains("boom <x>"), "{t}");
        assert!(t.contains("BATON_SEED=42"), "{t}");
        assert!(
            t.trim_end().ends_with("2 passed, 1 failed, 1 skipped"),
            "{t}"
        );
    }

    #[test]
    fn json_carries_the_same_figures() {
        let v: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(v["summary"]["passed"], 2);
        assert_eq!(v["summary"]["failed"], 1);
        assert_eq!(v["summary"]["skipped"], 1);
        assert_eq!(v["results"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn junit_escapes_and_counts() {
        let x = sample().to_junit();
        assert!(x.contains("boom &lt;x&gt;"), "{x}");
        assert!(x.contains("failures=\"1\""), "{x}");
        assert!(x.contains("<skipped message=\"needs y\"/>"), "{x}");
    }

    #[test]
    fn a_sweep_fails_a_cell_any_seed_failed_and_names_each_seed() {
        let cell = |status: Status| Cell {
            case: "a.one".into(),
            pair: "e×l".into(),
            status,
            millis: 1,
        };
        let fail = |seed: u64| cell(Status::Fail(format!("BATON_SEED={seed}: boom")));
        let merged = merge_runs(vec![vec![cell(Status::Pass)], vec![fail(8)], vec![fail(9)]]);
        assert_eq!(merged.len(), 1);
        assert_eq!(
            merged[0].status,
            Status::Fail("BATON_SEED=8: boom\nBATON_SEED=9: boom".into())
        );
        assert_eq!(merged[0].millis, 3);
        let clean = merge_runs(vec![vec![cell(Status::Pass)], vec![cell(Status::Pass)]]);
        assert_eq!(clean[0].status, Status::Pass);
        let mut r = sample();
        r.seeds = vec![42, 43];
        let t = r.to_table();
        assert!(t.contains("each names the BATON_SEED"), "{t}");
    }
}
