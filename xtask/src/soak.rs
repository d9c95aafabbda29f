//! `cargo xtask soak [--minutes N]`: the example servers under sustained
//! load, watched for leaks.
//!
//! Builds the `resp` and `echo` examples in release mode and runs each on
//! a loopback port under its clients (`redis-benchmark` for `resp`,
//! installed with apt-get if missing; `echo client` for `echo`), for N
//! minutes in all: 60 % for `resp`, whose traffic is the richer (parsing,
//! a keyspace, pipelining, connection churn), 40 % for `echo`. The servers
//! run on different runtimes (epoll with the multi-thread executor, poll
//! with the local one), so both reactors and both executors are soaked.
//!
//! While the clients run, the server's RSS and open fds are sampled from
//! `/proc`. The soak fails (exit 1) on
//! - RSS growth after warm-up beyond the tolerance ([`verdict`] says how
//!   it is judged and why the tolerance is what it is);
//! - any client failure (a non-zero exit, an error in its output, a
//!   missing result), or a server that exits or writes to standard error;
//! - file descriptors the server still holds once the clients are gone,
//!   compared with its idle count before the load.
//!
//! Every child is owned by a guard that kills it when dropped; SIGINT,
//! SIGTERM and SIGHUP only raise [`interrupted`], so the soak unwinds
//! through those guards instead of dying with its servers still running.

mod child;
mod load;
mod phase;
mod proc;
mod report;
mod verdict;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::{cargo, tools};
use phase::Plan;

const USAGE: &str = "\
usage: cargo xtask soak [--minutes N]

Runs the resp example under redis-benchmark (pipelined mixed commands, 200
connections, and -k 0 connection churn), then the echo example under its
own client, for N minutes in all (default 5; fractions allowed, at least
0.5; CI runs 1), sampling each server's RSS and open fds. Fails on RSS
growth after warm-up beyond 10 % + 4 MiB (median of the first third of
the samples against the last third), on any client or server error, and
on fds left open after the load.
";

/// The share of the time `resp` gets; `echo` has the rest.
const RESP_SHARE: f64 = 0.6;

/// Set by SIGINT, SIGTERM or SIGHUP.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether the soak was asked to stop by a signal.
fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

pub(crate) fn run(args: &[String]) -> ExitCode {
    let minutes = match parse_args(args) {
        Ok(Some(minutes)) => minutes,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("xtask soak: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match soak(minutes) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask soak: FAIL: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The minutes asked for; `None` for `--help`.
fn parse_args(args: &[String]) -> Result<Option<f64>, String> {
    let mut minutes = 5.0;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--minutes" => {
                let value = args.next().ok_or("--minutes needs a number")?;
                minutes = match value.parse::<f64>() {
                    Ok(m) if (0.5..=24.0 * 60.0).contains(&m) => m,
                    _ => {
                        return Err(format!(
                            "--minutes {value:?}: expected a number of minutes from 0.5 to 1440"
                        ));
                    }
                };
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(minutes))
}

/// Runs both phases; `Ok(false)` if one failed (its problems printed).
fn soak(minutes: f64) -> Result<bool, String> {
    ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed))
        .map_err(|e| format!("cannot handle SIGINT and SIGTERM: {e}"))?;
    tools::ensure(&["redis-benchmark"], &["redis-tools"])?;
    let resp = cargo::build_release_bin("baton-examples", "resp")?;
    let echo = cargo::build_release_bin("baton-examples", "echo")?;
    let benchmark = std::path::PathBuf::from("redis-benchmark");
    let total = Duration::from_secs_f64(minutes * 60.0);
    let resp_budget = total.mul_f64(RESP_SHARE);
    let plans = [
        Plan {
            name: "resp",
            server: &resp,
            server_args: &["--reactor", "epoll", "--executor", "multi"],
            cycle: &|addr| load::resp_cycle(&benchmark, addr),
            budget: resp_budget,
        },
        Plan {
            name: "echo",
            server: &echo,
            server_args: &["server", "--reactor", "poll", "--executor", "local"],
            cycle: &|addr| load::echo_cycle(&echo, addr),
            budget: total - resp_budget,
        },
    ];
    let started = Instant::now();
    let mut summaries = Vec::new();
    for plan in &plans {
        if interrupted() {
            return Err("interrupted".to_owned());
        }
        eprintln!(
            "xtask soak: {} under load for {:.0?}",
            plan.name, plan.budget
        );
        let outcome = phase::run(plan).map_err(|e| format!("{}: {e}", plan.name))?;
        println!("\n{}", report::table(&outcome));
        summaries.push(report::summary(&outcome));
        if !outcome.problems.is_empty() {
            for problem in &outcome.problems {
                println!("{}: {problem}", outcome.name);
            }
            let skipped: Vec<&str> = plans.iter().map(|p| p.name).skip(summaries.len()).collect();
            let skipped = if skipped.is_empty() {
                String::new()
            } else {
                format!(" ({} not run)", skipped.join(", "))
            };
            println!(
                "soak: FAIL after {:.0?}: {}: {}{skipped}",
                started.elapsed(),
                outcome.name,
                outcome.problems.join("; ")
            );
            return Ok(false);
        }
    }
    println!(
        "soak: PASS in {:.0?}: {}",
        started.elapsed(),
        summaries.join(" | ")
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn minutes_are_parsed_and_bounded() {
        assert_eq!(parse_args(&args(&[])), Ok(Some(5.0)));
        assert_eq!(parse_args(&args(&["--minutes", "1"])), Ok(Some(1.0)));
        assert_eq!(parse_args(&args(&["--minutes", "0.5"])), Ok(Some(0.5)));
        assert_eq!(parse_args(&args(&["--help"])), Ok(None));
        for bad in [
            &["--minutes"][..],
            &["--minutes", "0.1"],
            &["--minutes", "-3"],
            &["--minutes", "NaN"],
            &["--minutes", "five"],
            &["--hours", "1"],
        ] {
            assert!(parse_args(&args(bad)).is_err(), "{bad:?} was accepted");
        }
    }
}
