//! The suite (`baton-bench suite`, run by `cargo xtask bench`): every
//! workload × size × runtime, each measurement in its own child process,
//! repeated with the runtimes interleaved, then aggregated into
//! `target/bench/latest.json`, a markdown table and (with `--plot`) an SVG
//! chart.

mod child;
mod http;
mod plot;
mod report;
mod resp;
mod verdict;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::rt::Kind;
use crate::workload::{self, Driver, Metrics, Workload};
use child::Running;

/// What `baton-bench suite` is told.
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// Small sizes, short windows, one repeat.
    pub(crate) quick: bool,
    /// Only these workloads (all when empty).
    pub(crate) filter: Vec<String>,
    /// Only these runtimes (all when empty).
    pub(crate) runtimes: Vec<Kind>,
    /// Write the SVG chart.
    pub(crate) plot: bool,
    /// Repeats of every workload; by default 1 with `--quick`, else the
    /// workload's own ([`Workload::repeats`]: 9 for micro-benchmarks, 5
    /// for servers).
    pub(crate) repeats: Option<usize>,
    /// The workspace root: results go to `<root>/target/bench`, and a full
    /// run updates `<root>/BENCHMARKS.md`.
    pub(crate) root: PathBuf,
    /// The `resp` example server, if built.
    pub(crate) resp_bin: Option<PathBuf>,
    /// The command line to record.
    pub(crate) command: String,
    /// baton-bench built with the `observed` feature (baton's executor with
    /// its `tracing` and `metrics` features): when given, the workloads of
    /// [`OBSERVED`] also run on it, on baton's runtimes, for the
    /// features-on ÷ off table.
    pub(crate) observed_bin: Option<PathBuf>,
}

/// The workloads measured with the observability features compiled in:
/// the scheduler's hot paths, where a per-poll or per-spawn cost shows.
pub(crate) const OBSERVED: &[&str] = &["spawn_inside", "yield_many", "ping_pong"];

/// The samples of one (workload, size), per runtime.
#[derive(Default)]
pub(crate) struct Cell {
    pub(crate) samples: BTreeMap<Kind, Vec<Metrics>>,
    pub(crate) skipped: BTreeMap<Kind, String>,
    pub(crate) failed: BTreeMap<Kind, String>,
    /// Samples of the `observed` build, per baton runtime.
    pub(crate) observed: BTreeMap<Kind, Vec<Metrics>>,
}

/// Runs the suite.
///
/// # Errors
///
/// The results cannot be written, or a filter names no workload.
pub(crate) fn run(options: &Options) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
    let workloads: Vec<&'static Workload> = workload::ALL
        .iter()
        .filter(|w| options.filter.is_empty() || options.filter.iter().any(|f| f == w.name))
        .collect();
    if workloads.is_empty() {
        return Err(format!(
            "--filter {:?} names no workload; the workloads are: {}",
            options.filter,
            workload::ALL
                .iter()
                .map(|w| w.name)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let repeats_of = |w: &Workload| {
        options
            .repeats
            .unwrap_or(if options.quick { 1 } else { w.repeats() })
            .max(1)
    };
    let repeats = workloads.iter().map(|w| repeats_of(w)).max().unwrap_or(1);
    let limit = if options.quick {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(300)
    };
    let plan: Vec<(&'static Workload, &'static str)> = workloads
        .iter()
        .flat_map(|w| {
            let sizes = if options.quick { w.quick } else { w.sizes };
            sizes.iter().map(move |s| (*w, *s))
        })
        .collect();
    let mut cells: BTreeMap<(usize, &'static str), Cell> = BTreeMap::new();
    let started = Instant::now();
    let resp = resp::Tools::find(options.resp_bin.as_deref(), &exe);
    for rep in 0..repeats {
        for (i, &(w, size)) in plan.iter().enumerate() {
            let reps = repeats_of(w);
            if rep >= reps {
                continue;
            }
            // Runtimes named on the command line run whatever the
            // workload; by default, one reactor for a workload that does
            // not use it.
            let kinds: Vec<Kind> = Kind::ALL
                .into_iter()
                .filter(|&k| {
                    if options.runtimes.is_empty() {
                        w.by_default(k)
                    } else {
                        w.runs_on(k) && options.runtimes.contains(&k)
                    }
                })
                .collect();
            // Each runtime on the plain build, and baton's on the observed
            // build too when there is one for this workload.
            let observed_bin = options
                .observed_bin
                .as_deref()
                .filter(|_| OBSERVED.contains(&w.name) && w.driver == Driver::Child)
                // The features' cost shows on the plain sizes; the
                // `+listener` ones would only lengthen a full run.
                .filter(|_| !size.ends_with(workload::LISTENER));
            let mut runs: Vec<(Kind, Option<&Path>)> = kinds.iter().map(|&k| (k, None)).collect();
            if let Some(bin) = observed_bin {
                runs.extend(
                    kinds
                        .iter()
                        .filter(|k| k.is_baton())
                        .map(|&k| (k, Some(bin))),
                );
            }
            // Interleave: each repeat starts the round at another runtime.
            if !runs.is_empty() {
                let shift = rep % runs.len();
                runs.rotate_left(shift);
            }
            for (kind, observed) in runs {
                let cell = cells.entry((i, size)).or_default();
                if cell.skipped.contains_key(&kind) {
                    continue;
                }
                let deadline = Instant::now() + limit;
                if let Some(bin) = observed {
                    let tag = format!("[{}/{reps}] {} {size} {kind} (observed)", rep + 1, w.name);
                    match run_child(bin, true, kind, w, size, deadline) {
                        Ok(Answer::Done(metrics)) => {
                            eprintln!("{tag}: {}", show(&metrics));
                            cell.observed.entry(kind).or_default().push(metrics);
                        }
                        Ok(Answer::Skipped(reason)) => eprintln!("{tag}: skipped: {reason}"),
                        Err(e) => eprintln!("{tag}: FAILED: {e}"),
                    }
                    continue;
                }
                let outcome = match w.driver {
                    Driver::Child => run_child(&exe, false, kind, w, size, deadline),
                    Driver::IdleConns => run_idle_conns(&exe, kind, size, deadline),
                    Driver::Echo => run_echo(&exe, kind, size, options.quick, deadline),
                    Driver::Resp => resp.run(kind, size, options.quick, deadline),
                    Driver::Http => http::run(&exe, kind, size, options.quick, deadline),
                };
                let tag = format!("[{}/{reps}] {} {size} {kind}", rep + 1, w.name);
                match outcome {
                    Ok(Answer::Done(metrics)) => {
                        eprintln!("{tag}: {}", show(&metrics));
                        cell.samples.entry(kind).or_default().push(metrics);
                    }
                    Ok(Answer::Skipped(reason)) => {
                        eprintln!("{tag}: skipped: {reason}");
                        cell.skipped.insert(kind, reason);
                    }
                    Err(e) => {
                        eprintln!("{tag}: FAILED: {e}");
                        cell.failed.insert(kind, e);
                    }
                }
            }
        }
    }
    eprintln!("suite: measured in {:.0?}", started.elapsed());
    let rows: Vec<(&'static Workload, &'static str, Cell)> = cells
        .into_iter()
        .map(|((i, size), cell)| (plan[i].0, size, cell))
        .collect();
    let repeats = workloads.iter().map(|w| (w.name, repeats_of(w))).collect();
    let report = report::Report::new(&rows, options, repeats);
    let out = options.root.join("target").join("bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    write(&out.join("latest.json"), &report.json())?;
    let markdown = report.markdown();
    write(&out.join("latest.md"), &markdown)?;
    println!("{markdown}");
    if options.plot {
        write(&out.join("latest.svg"), &plot::svg(&report))?;
        eprintln!("suite: chart in {}", out.join("latest.svg").display());
    }
    eprintln!("suite: results in {}", out.join("latest.json").display());
    let full = !options.quick && options.filter.is_empty() && options.runtimes.is_empty();
    if full {
        let path = options.root.join("BENCHMARKS.md");
        report::update_benchmarks_md(&path, &report.benchmarks_section())?;
        eprintln!("suite: updated {}", path.display());
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn show(metrics: &Metrics) -> String {
    metrics
        .iter()
        .map(|(k, v)| format!("{k}={:.1}", v.as_f64().unwrap_or(f64::NAN)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What one measurement gave.
pub(crate) enum Answer {
    Done(Metrics),
    Skipped(String),
}

/// Reads a child's answer line: `{"metrics": {..}}` or `{"skipped": ".."}`.
fn answer(value: Value) -> Result<Answer, String> {
    if let Some(reason) = value.get("skipped").and_then(Value::as_str) {
        return Ok(Answer::Skipped(reason.to_owned()));
    }
    match value.get("metrics").and_then(Value::as_object) {
        Some(metrics) => Ok(Answer::Done(metrics.clone())),
        None => Err(format!("unexpected answer {value}")),
    }
}

/// One measurement in a child process of `exe`, which must say whether it
/// is the `observed` build: a wrong binary fails rather than measuring the
/// wrong thing.
fn run_child(
    exe: &Path,
    observed: bool,
    kind: Kind,
    w: &Workload,
    size: &str,
    deadline: Instant,
) -> Result<Answer, String> {
    let mut cmd = Command::new(exe);
    cmd.args(["run", kind.name(), w.name, size]);
    let mut child = Running::start(cmd, format!("{} {size} on {kind}", w.name))?;
    let value = child.json(deadline)?;
    child.finish();
    if value.get("observed").and_then(Value::as_bool) != Some(observed) {
        return Err(format!(
            "{} is not the {} build: {value}",
            exe.display(),
            if observed { "observed" } else { "plain" }
        ));
    }
    answer(value)
}

fn listening(child: &mut Running, deadline: Instant) -> Result<SocketAddr, String> {
    loop {
        let line = child.line(deadline)?;
        if let Some(addr) = line.strip_prefix("listening ") {
            return addr.trim().parse().map_err(|e| format!("{line:?}: {e}"));
        }
        if line.starts_with('{') {
            // An answer before listening: a skip.
            let value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
            return Err(match answer(value) {
                Ok(Answer::Skipped(reason)) => format!("skipped: {reason}"),
                _ => format!("unexpected {line:?}"),
            });
        }
    }
}

fn run_idle_conns(exe: &Path, kind: Kind, size: &str, deadline: Instant) -> Result<Answer, String> {
    let n: usize = size.parse().map_err(|_| format!("bad size {size:?}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(["run", kind.name(), "idle_conns", size]);
    let mut child = Running::start(cmd, format!("idle_conns {size} on {kind}"))?;
    let addr = match listening(&mut child, deadline) {
        Ok(addr) => addr,
        Err(e) => match e.strip_prefix("skipped: ") {
            Some(reason) => return Ok(Answer::Skipped(reason.to_owned())),
            None => return Err(e),
        },
    };
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
        stream.write_all(b"x").map_err(|e| format!("write: {e}"))?;
        streams.push(stream);
    }
    let value = child.json(deadline)?;
    drop(streams);
    child.finish();
    answer(value)
}

fn run_echo(
    exe: &Path,
    kind: Kind,
    size: &str,
    quick: bool,
    deadline: Instant,
) -> Result<Answer, String> {
    let (conns, bytes) = size
        .split_once('x')
        .ok_or_else(|| format!("bad size {size:?}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve", kind.name()]);
    let mut server = Running::start(cmd, format!("echo server on {kind}"))?;
    let addr = listening(&mut server, deadline)?;
    let (warmup, window) = if quick {
        ("100", "300")
    } else {
        ("300", "1000")
    };
    let mut cmd = Command::new(exe);
    cmd.args([
        "load",
        "--addr",
        &addr.to_string(),
        "--conns",
        conns,
        "--size",
        bytes,
    ])
    .args(["--warmup-ms", warmup, "--ms", window])
    .args(["--server-pid", &server.pid().to_string()]);
    let mut load = Running::start(cmd, format!("load generator against {kind}"))?;
    let value = load.json(deadline);
    load.finish();
    server.finish();
    answer(value?)
}
