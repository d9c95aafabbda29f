//! The harness: the suite as a program. One binary is both the orchestrator
//! (parses flags, runs children, prints the report) and the child (runs the
//! cases of one pair when the environment says so).

mod child;
mod parent;
mod protocol;
mod report;
mod resources;
mod seed;
mod stacks;

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use serde_json::{Value, json};

use self::parent::Job;
use self::protocol::{ENV_CASES, ENV_PAIR, ENV_QUERY, ENV_SEED};
pub use self::report::{Cell, Column, Report, Status, Totals};
use crate::case::Case;
use crate::registry::{self, CaseError};
use crate::spec::{ExecutorSpec, Need, Pair, ReactorSpec};

/// How many catching cases a mutant run looks for before it stops.
const MUTANT_CATCHES: usize = 3;

/// A deliberately broken backend: the suite must fail on it. Each mutant
/// breaks one contract; `--mutants` shows which cases caught it.
#[derive(Clone, Debug)]
pub struct Mutant {
    name: String,
    breaks: String,
    pair: Pair,
}

/// The conformance suite, with the backends to run it on.
///
/// # Examples
///
/// See the [crate documentation](crate) for running it on a new backend.
#[derive(Debug)]
pub struct Suite {
    cases: Vec<Case>,
    reactors: Vec<ReactorSpec>,
    executors: Vec<ExecutorSpec>,
    /// Pairs outside the reactor × executor product.
    pairs: Vec<Pair>,
    mutants: Vec<Mutant>,
}

impl Default for Suite {
    fn default() -> Self {
        Suite::new()
    }
}

/// What one run is asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only reactors with these names (all when empty).
    pub reactors: Vec<String>,
    /// Only executors with these names (all when empty).
    pub executors: Vec<String>,
    /// Only cases whose id contains one of these (all when empty); a
    /// trailing `*` matches a prefix.
    pub filters: Vec<String>,
    /// Children run at once (the number of CPUs when zero).
    pub jobs: usize,
    /// The run's seed (fresh when `None`).
    pub seed: Option<u64>,
    /// A seed sweep: run the pairs whose reactor injects faults (those that
    /// lack [`Need::NoFaults`], such as baton's `chaos(..)` rows) under this
    /// many seeds, the run's seed first; every failure names the
    /// `BATON_SEED` that replays it. Zero (the default): no sweep, every
    /// selected pair once under the run's seed.
    pub seeds: usize,
    /// Other runner binaries (the same suite built differently, such as the
    /// poll(2) build) whose pairs join the matrix.
    pub runners: Vec<PathBuf>,
}

impl Suite {
    /// The suite with every registered case and no backends yet.
    pub fn new() -> Self {
        Suite {
            cases: registry::all(),
            reactors: Vec::new(),
            executors: Vec::new(),
            pairs: Vec::new(),
            mutants: Vec::new(),
        }
    }

    /// Adds a reactor: it runs with every executor.
    pub fn reactor(mut self, spec: ReactorSpec) -> Self {
        self.reactors.push(spec);
        self
    }

    /// Adds an executor: it runs with every reactor.
    pub fn executor(mut self, spec: ExecutorSpec) -> Self {
        self.executors.push(spec);
        self
    }

    /// Adds one pair outside the product of [`reactor`](Suite::reactor) and
    /// [`executor`](Suite::executor): a reactor that runs on some
    /// executors only (a host's native reactor, which registers its sources
    /// with that host's own reactor).
    pub fn pair(mut self, reactor: ReactorSpec, executor: ExecutorSpec) -> Self {
        self.pairs.push(Pair { reactor, executor });
        self
    }

    /// Adds a case of your own after the built-in ones: it runs on every
    /// pair under the same harness as they do (child process, watchdog,
    /// teardown checks, matrix report), and `--filter` selects it by id.
    ///
    /// The program that runs the suite is also its child processes, so add
    /// the same cases to the suite whatever the environment: build the
    /// suite, then call [`main`](Suite::main).
    ///
    /// # Errors
    ///
    /// [`CaseError::Duplicate`] if the suite already has a case with this id
    /// (built in, or added before); [`CaseError::Malformed`] if the id is not
    /// `category.name` in lowercase ASCII, digits and `_`.
    ///
    /// # Examples
    ///
    /// See the [crate documentation](crate#adding-cases-of-your-own).
    pub fn case(mut self, case: Case) -> Result<Self, CaseError> {
        registry::check_new(&self.cases, &case)?;
        self.cases.push(case);
        Ok(self)
    }

    /// Adds several cases of your own, as [`case`](Suite::case) does each.
    ///
    /// # Errors
    ///
    /// The first case refused, as [`case`](Suite::case) says; no case after
    /// it is added, and the suite is dropped.
    pub fn with_cases(self, cases: impl IntoIterator<Item = Case>) -> Result<Self, CaseError> {
        cases.into_iter().try_fold(self, Suite::case)
    }

    /// Adds a mutant: a broken backend the suite must catch, run only with
    /// `--mutants`.
    pub fn mutant(
        mut self,
        name: impl Into<String>,
        breaks: impl Into<String>,
        reactor: ReactorSpec,
        executor: ExecutorSpec,
    ) -> Self {
        self.mutants.push(Mutant {
            name: name.into(),
            breaks: breaks.into(),
            pair: Pair { reactor, executor },
        });
        self
    }

    /// Every case, built in and added, in report order.
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// Every reactor × executor pair, then the pairs added one by one.
    pub fn pairs(&self) -> Vec<Pair> {
        self.reactors
            .iter()
            .flat_map(|r| {
                self.executors.iter().map(move |e| Pair {
                    reactor: r.clone(),
                    executor: e.clone(),
                })
            })
            .chain(self.pairs.iter().cloned())
            .collect()
    }

    /// The program: run as a child if the environment says so, answer a pair
    /// query, or parse the command line and run the matrix. Call it from
    /// `main` (or a `harness = false` test) and return its exit code.
    pub fn main(self) -> ExitCode {
        if let Ok(pair) = std::env::var(ENV_PAIR) {
            return self.child(&pair);
        }
        if std::env::var_os(ENV_QUERY).is_some() {
            return self.answer_query();
        }
        match cli::parse(std::env::args_os().skip(1)) {
            Ok(cli::Command::Help) => {
                print!("{}", cli::USAGE);
                ExitCode::SUCCESS
            }
            Ok(cli::Command::List) => {
                self.list();
                ExitCode::SUCCESS
            }
            Ok(cli::Command::Run {
                options,
                format,
                output,
            }) => {
                let report = self.run(&options);
                let text = match format {
                    cli::Format::Table => report.to_table(),
                    cli::Format::Json => report.to_json(),
                    cli::Format::Junit => report.to_junit(),
                };
                emit(&text, output.as_ref(), &report);
                if report.totals().failed == 0 && report.totals().passed > 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Ok(cli::Command::Mutants { options }) => self.run_mutants(&options),
            Err(e) => {
                eprintln!("baton-conformance: {e}\n\n{}", cli::USAGE);
                ExitCode::from(2)
            }
        }
    }

    fn child(&self, pair_name: &str) -> ExitCode {
        let all: Vec<Pair> = self
            .pairs()
            .into_iter()
            .chain(self.mutants.iter().map(|m| m.pair.clone()))
            .collect();
        let Some(pair) = all.iter().find(|p| p.name() == pair_name) else {
            eprintln!("baton-conformance: this runner has no pair named {pair_name}");
            return ExitCode::from(2);
        };
        let ids = std::env::var(ENV_CASES).unwrap_or_default();
        let mut cases = Vec::new();
        for id in ids.split(',').filter(|s| !s.is_empty()) {
            match self.cases.iter().find(|c| c.id == id) {
                Some(c) => cases.push(c),
                None => {
                    eprintln!("baton-conformance: this runner has no case {id}");
                    return ExitCode::from(2);
                }
            }
        }
        let seed = std::env::var(ENV_SEED)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        child::run(pair, &cases, seed)
    }

    fn answer_query(&self) -> ExitCode {
        for pair in self.pairs() {
            let provides: Vec<&str> = Need::ALL
                .iter()
                .filter(|n| pair.provides(**n))
                .map(|n| n.name())
                .collect();
            println!(
                "{}",
                json!({
                    "pair": pair.name(), "reactor": pair.reactor.name,
                    "executor": pair.executor.name, "tag": pair.executor.tag,
                    "provides": provides,
                })
            );
        }
        ExitCode::SUCCESS
    }

    fn list(&self) {
        for case in &self.cases {
            let needs: Vec<&str> = case.needs.iter().map(|n| n.name()).collect();
            let needs = if needs.is_empty() {
                String::new()
            } else {
                format!("  [needs {}]", needs.join(", "))
            };
            println!("{:<48} {}{needs}", case.id, case.summary);
        }
        println!("\n{} cases", self.cases.len());
        for pair in self.pairs() {
            println!("pair {}", pair.name());
        }
    }

    fn selected_cases(&self, filters: &[String]) -> Vec<&Case> {
        self.cases
            .iter()
            .filter(|c| {
                filters.is_empty()
                    || filters.iter().any(|f| match f.strip_suffix('*') {
                        Some(prefix) => c.id.starts_with(prefix),
                        None => c.id.contains(f.as_str()),
                    })
            })
            .collect()
    }

    /// Runs the matrix as `options` say and returns the report.
    pub fn run(&self, options: &Options) -> Report {
        let seed = options
            .seed
            .or_else(|| std::env::var(ENV_SEED).ok().and_then(|s| s.parse().ok()))
            .unwrap_or_else(seed::fresh);
        let me = std::env::current_exe().unwrap_or_default();
        let mut pairs: Vec<RunnablePair> = self
            .pairs()
            .into_iter()
            .map(|p| RunnablePair::local(&p, &me))
            .collect();
        for runner in &options.runners {
            for pair in query_runner(runner) {
                if !pairs.iter().any(|p| p.column.pair == pair.column.pair) {
                    pairs.push(pair);
                }
            }
        }
        pairs.retain(|p| {
            (options.reactors.is_empty() || options.reactors.contains(&p.column.reactor))
                && (options.executors.is_empty() || options.executors.contains(&p.column.executor))
                // A sweep varies the seed: only rows that draw faults from it.
                && (options.seeds == 0 || !p.provides.contains(&Need::NoFaults))
        });
        if options.seeds > 0 && pairs.is_empty() {
            eprintln!(
                "baton-conformance: --seeds sweeps the pairs whose reactor injects faults \
                 (provides no `no-faults`); none is selected"
            );
        }
        // Keep each reactor's columns together, in the order reactors came.
        let order: Vec<String> =
            pairs
                .iter()
                .map(|p| p.column.reactor.clone())
                .fold(Vec::new(), |mut seen, r| {
                    if !seen.contains(&r) {
                        seen.push(r);
                    }
                    seen
                });
        pairs.sort_by_key(|p| order.iter().position(|r| *r == p.column.reactor));

        let cases = self.selected_cases(&options.filters);
        let mut skipped = Vec::new();
        let mut jobs = Vec::new();
        for pair in &pairs {
            let mut to_run = Vec::new();
            for case in &cases {
                match case.needs.iter().find(|n| !pair.provides.contains(n)) {
                    Some(missing) => skipped.push(Cell {
                        case: case.id.into(),
                        pair: pair.column.pair.clone(),
                        status: Status::Skip(missing.reason().into()),
                        millis: 0,
                    }),
                    None => to_run.push((case.id.to_owned(), case.watchdog)),
                }
            }
            if !to_run.is_empty() {
                jobs.push(Job {
                    runner: pair.runner.clone(),
                    pair: pair.column.pair.clone(),
                    cases: to_run,
                    stop_after: None,
                });
            }
        }
        let parallel = if options.jobs == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            options.jobs
        };
        let seeds = seed::sweep(seed, options.seeds);
        let cells = if options.seeds == 0 {
            skipped.extend(parent::run_jobs(jobs, parallel, seed, false));
            skipped
        } else {
            let mut runs = Vec::new();
            for (i, &seed) in seeds.iter().enumerate() {
                eprintln!("seed {} of {}: BATON_SEED={seed}", i + 1, options.seeds);
                runs.push(parent::run_jobs(jobs.clone(), parallel, seed, true));
            }
            skipped.extend(report::merge_runs(runs));
            skipped
        };
        Report::new(
            seeds,
            cases
                .iter()
                .map(|c| (c.id.to_owned(), c.summary.to_owned()))
                .collect(),
            pairs.into_iter().map(|p| p.column).collect(),
            cells,
        )
    }

    /// Runs every mutant; each must fail at least one case.
    fn run_mutants(&self, options: &Options) -> ExitCode {
        if self.mutants.is_empty() {
            eprintln!("baton-conformance: this runner defines no mutants");
            return ExitCode::FAILURE;
        }
        let seed = options.seed.unwrap_or_else(seed::fresh);
        let me = std::env::current_exe().unwrap_or_default();
        let cases = self.selected_cases(&options.filters);
        let mut jobs = Vec::new();
        for m in &self.mutants {
            let cases: Vec<(String, Duration)> = cases
                .iter()
                .filter(|c| m.pair.missing(c.needs).is_none())
                // A mutant that hangs should be caught fast, not after the
                // full watchdog of every case.
                .map(|c| (c.id.to_owned(), c.watchdog.min(Duration::from_secs(10))))
                .collect();
            jobs.push(Job {
                runner: me.clone(),
                pair: m.pair.name(),
                cases,
                stop_after: Some(MUTANT_CATCHES),
            });
        }
        let parallel = if options.jobs == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            options.jobs
        };
        let cells = parent::run_jobs(jobs, parallel, seed, false);
        let mut survived = 0;
        println!("mutants (each must be caught by at least one case):\n");
        for m in &self.mutants {
            let caught: Vec<&Cell> = cells
                .iter()
                .filter(|c| c.pair == m.pair.name() && matches!(c.status, Status::Fail(_)))
                .collect();
            if caught.is_empty() {
                survived += 1;
                println!("✗ {:<22} SURVIVED — breaks: {}", m.name, m.breaks);
            } else {
                println!("✓ {:<22} caught — breaks: {}", m.name, m.breaks);
                for cell in caught {
                    let why = match &cell.status {
                        Status::Fail(m) => m.lines().next().unwrap_or_default(),
                        _ => "",
                    };
                    println!("    {} — {why}", cell.case);
                }
            }
        }
        println!(
            "\n{} mutants, {} caught, {} survived",
            self.mutants.len(),
            self.mutants.len() - survived,
            survived
        );
        if survived == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

/// A pair the orchestrator can run: its column, what it provides, and the
/// binary that runs it.
struct RunnablePair {
    column: Column,
    provides: HashSet<Need>,
    runner: PathBuf,
}

impl RunnablePair {
    fn local(pair: &Pair, me: &std::path::Path) -> Self {
        RunnablePair {
            column: Column {
                pair: pair.name(),
                reactor: pair.reactor.name.clone(),
                executor: pair.executor.name.clone(),
                tag: pair.executor.tag.clone(),
            },
            provides: Need::ALL
                .into_iter()
                .filter(|n| pair.provides(*n))
                .collect(),
            runner: me.to_path_buf(),
        }
    }
}

/// Asks another runner binary for its pairs.
fn query_runner(runner: &PathBuf) -> Vec<RunnablePair> {
    let output = match Command::new(runner).env(ENV_QUERY, "pairs").output() {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!(
                "baton-conformance: runner {} failed to list its pairs: {}",
                runner.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            return Vec::new();
        }
        Err(e) => {
            eprintln!("baton-conformance: cannot run {}: {e}", runner.display());
            return Vec::new();
        }
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|v| {
            let s = |k: &str| v[k].as_str().map(str::to_owned);
            let provides = v["provides"]
                .as_array()?
                .iter()
                .filter_map(|n| {
                    Need::ALL
                        .into_iter()
                        .find(|need| Some(need.name()) == n.as_str())
                })
                .collect();
            Some(RunnablePair {
                column: Column {
                    pair: s("pair")?,
                    reactor: s("reactor")?,
                    executor: s("executor")?,
                    tag: s("tag")?,
                },
                provides,
                runner: runner.clone(),
            })
        })
        .collect()
}

/// Writes the report where asked, and always the closing line to the terminal.
fn emit(text: &str, output: Option<&PathBuf>, report: &Report) {
    match output {
        Some(path) => match fs::write(path, text) {
            Ok(()) => println!(
                "report written to {}\n{}",
                path.display(),
                report.summary_line()
            ),
            Err(e) => {
                eprintln!("baton-conformance: cannot write {}: {e}", path.display());
                print!("{text}");
            }
        },
        None => print!("{text}"),
    }
}

mod cli {
    //! Command-line flags of the runner.

    use super::*;

    pub(super) const USAGE: &str = "\
usage: cargo xtask conformance [OPTIONS]   (or run the runner binary directly)

Runs every conformance case on every reactor × executor pair, each pair in
child processes with a watchdog per case, and prints the matrix.

options:
  --reactor NAME     only this reactor (repeatable, or comma-separated)
  --executor NAME    only this executor (repeatable, or comma-separated)
  --filter TEXT      only cases whose id contains TEXT; `time.*` matches a prefix
                     (repeatable)
  --list             list the cases and pairs, run nothing
  --format FORMAT    table (default), json or junit
  --output FILE      write the report to FILE instead of standard output
  --jobs N           children at once (default: number of CPUs)
  --seed N           the run's seed (default: BATON_SEED, else fresh)
  --seeds N          run the fault-injecting rows (chaos(..)) under N seeds, the
                     run's seed first; each failure names the BATON_SEED that
                     replays it
  --mutants          run the mutant backends; each must fail some case
  --with-runner PATH add the pairs of another runner binary (such as the
                     poll(2) build) to the matrix
  -h, --help         this text
";

    pub(super) enum Format {
        Table,
        Json,
        Junit,
    }

    pub(super) enum Command {
        Help,
        List,
        Run {
            options: Options,
            format: Format,
            output: Option<PathBuf>,
        },
        Mutants {
            options: Options,
        },
    }

    pub(super) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
        use lexopt::prelude::*;
        let mut parser = lexopt::Parser::from_args(args);
        let mut options = Options::default();
        let mut format = Format::Table;
        let mut output = None;
        let mut list = false;
        let mut mutants = false;
        let text = |v: OsString| {
            v.into_string()
                .map_err(|_| "arguments must be UTF-8".to_owned())
        };
        let split = |v: String| -> Vec<String> {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
            match arg {
                Short('h') | Long("help") => return Ok(Command::Help),
                Long("reactor") => {
                    let v = text(parser.value().map_err(|e| e.to_string())?)?;
                    options.reactors.extend(split(v));
                }
                Long("executor") => {
                    let v = text(parser.value().map_err(|e| e.to_string())?)?;
                    options.executors.extend(split(v));
                }
                Long("filter") => {
                    let v = text(parser.value().map_err(|e| e.to_string())?)?;
                    options.filters.push(v);
                }
                Long("list") => list = true,
                Long("mutants") => mutants = true,
                Long("format") => {
                    let v = text(parser.value().map_err(|e| e.to_string())?)?;
                    format = match v.as_str() {
                        "table" => Format::Table,
                        "json" => Format::Json,
                        "junit" => Format::Junit,
                        other => {
                            return Err(format!(
                                "unknown format {other:?}: use table, json or junit"
                            ));
                        }
                    };
                }
                Long("output") => {
                    output = Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?))
                }
                Long("jobs") => {
                    let v = text(parser.value().map_err(|e| e.to_string())?)?;
                    options.jobs = v
                        .parse()
                        .map_err(|_| format!("--jobs takes a number, not {v:?}"))?;
                }
                Long("seed") => {
                    let v = text(parser.value().map_err(|e| e.to_string())?)?;
                    options.seed = Some(
                        v.parse()
                            .map_err(|_| format!("--seed takes a number, not {v:?}"))?,
                    );
                }
                Long("seeds") => {
                    let v = text(parser.value().map_err(|e| e.to_string())?)?;
                    options.seeds = match v.parse() {
                        Ok(n) if n > 0 => n,
                        _ => return Err(format!("--seeds takes a count of 1 or more, not {v:?}")),
                    };
                }
                Long("with-runner") => {
                    options
                        .runners
                        .push(PathBuf::from(parser.value().map_err(|e| e.to_string())?));
                }
                // A bare word filters, as libtest's does: `cargo test -p
                // baton-conformance --test matrix time.` works.
                lexopt::Arg::Value(v) => options.filters.push(text(v)?),
                // libtest flags cargo may pass through to every test binary.
                Long("nocapture" | "quiet" | "show-output" | "exact") | Short('q') => {}
                Long("test-threads" | "color") => {
                    parser.value().map_err(|e| e.to_string())?;
                }
                other => return Err(other.unexpected().to_string()),
            }
        }
        Ok(if list {
            Command::List
        } else if mutants {
            Command::Mutants { options }
        } else {
            Command::Run {
                options,
                format,
                output,
            }
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn args(s: &str) -> Vec<OsString> {
            s.split_whitespace().map(OsString::from).collect()
        }

        #[test]
        fn flags_parse_and_bad_ones_are_errors() {
            match parse(args(
                "--reactor epoll,poll --executor mt4 --filter time.* --format json --jobs 3 --seed 9",
            )) {
                Ok(Command::Run {
                    options,
                    format: Format::Json,
                    output: None,
                }) => {
                    assert_eq!(options.reactors, ["epoll", "poll"]);
                    assert_eq!(options.executors, ["mt4"]);
                    assert_eq!(options.filters, ["time.*"]);
                    assert_eq!((options.jobs, options.seed), (3, Some(9)));
                }
                _ => panic!("flags did not parse as a run"),
            }
            assert!(matches!(parse(args("--list")), Ok(Command::List)));
            assert!(matches!(
                parse(args("--mutants")),
                Ok(Command::Mutants { .. })
            ));
            match parse(args("--seeds 3 --seed 5")) {
                Ok(Command::Run { options, .. }) => {
                    assert_eq!((options.seeds, options.seed), (3, Some(5)));
                }
                _ => panic!("--seeds did not parse as a run"),
            }
            assert!(parse(args("--seeds 0")).is_err());
            assert!(parse(args("--seeds some")).is_err());
            assert!(parse(args("--format xml")).is_err());
            assert!(parse(args("--jobs many")).is_err());
            assert!(parse(args("--bogus")).is_err());
            match parse(args("--nocapture time. --test-threads 1")) {
                Ok(Command::Run { options, .. }) => assert_eq!(options.filters, ["time."]),
                _ => panic!("libtest flags should be accepted"),
            }
        }
    }
}
