//! The `http` workload's driver: a `serve-http` child per runtime, and
//! `wrk` against it, with the server's CPU read around the measured run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::child::Running;
use super::{Answer, listening};
use crate::proc;
use crate::rt::Kind;
use crate::workload::metrics;

/// `wrk` on the `PATH`.
fn wrk() -> Result<PathBuf, String> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("wrk"))
        .find(|p| p.is_file())
        .ok_or_else(|| "`wrk` is not installed (apt-get install wrk)".to_owned())
}

/// One measurement: start the server, warm it up with a short `wrk` run,
/// then measure one `wrk` run of C connections (size `cC`).
pub(super) fn run(
    exe: &Path,
    kind: Kind,
    size: &str,
    quick: bool,
    deadline: Instant,
) -> Result<Answer, String> {
    let wrk = match wrk() {
        Ok(wrk) => wrk,
        Err(reason) => return Ok(Answer::Skipped(reason)),
    };
    let conns: u32 = size
        .strip_prefix('c')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("bad size {size:?}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve-http", kind.name()]);
    let mut server = Running::start(cmd, format!("http server on {kind}"))?;
    let addr = listening(&mut server, deadline)?;
    let url = format!("http://{addr}/");
    let (warmup, window) = if quick { ("1s", "1s") } else { ("1s", "3s") };
    run_wrk(&wrk, conns, warmup, &url)?;
    let cpu = proc::cpu_ns(server.pid()).map_err(|e| e.to_string())?;
    let report = run_wrk(&wrk, conns, window, &url)?;
    let cpu = proc::cpu_ns(server.pid())
        .map_err(|e| e.to_string())?
        .saturating_sub(cpu);
    server.finish();
    let report = Report::parse(&report)?;
    Ok(Answer::Done(metrics([
        ("req_ns", 1e9 / report.rps),
        ("p99_us", report.p99_us),
        ("cpu_ns", cpu as f64 / report.requests as f64),
    ])))
}

/// Runs wrk (one thread, keep-alive, latency distribution) for `duration`
/// and returns its report.
fn run_wrk(wrk: &Path, conns: u32, duration: &str, url: &str) -> Result<String, String> {
    let output = Command::new(wrk)
        .args(["-t", "1", "-c", &conns.to_string(), "-d", duration])
        .args(["--timeout", "5s", "--latency", url])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("wrk: {e}"))?;
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "wrk failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    // wrk reports answers that are not 2xx/3xx and socket errors only when
    // there are some: a server that errs is not measured.
    if report.contains("Non-2xx") || report.contains("Socket errors") {
        return Err(format!("wrk saw errors:\n{report}"));
    }
    Ok(report)
}

/// What the suite reads from wrk's report.
struct Report {
    requests: u64,
    rps: f64,
    p99_us: f64,
}

impl Report {
    fn parse(report: &str) -> Result<Report, String> {
        let missing = |what: &str| format!("no {what} in wrk's report:\n{report}");
        let requests = report
            .lines()
            .find_map(|line| line.trim().split_once(" requests in "))
            .and_then(|(n, _)| n.parse::<u64>().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| missing("request count"))?;
        let rps = report
            .lines()
            .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
            .and_then(|n| n.trim().parse::<f64>().ok())
            .filter(|&r| r > 0.0)
            .ok_or_else(|| missing("Requests/sec"))?;
        let p99_us = report
            .lines()
            .find_map(|line| line.trim().strip_prefix("99%"))
            .and_then(|value| micros(value.trim()))
            .ok_or_else(|| missing("99% latency"))?;
        Ok(Report {
            requests,
            rps,
            p99_us,
        })
    }
}

/// A wrk duration (`812.00us`, `1.23ms`, `2.00s`) in microseconds.
fn micros(text: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = text.strip_suffix("m") {
        (n, 60e6)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1e6)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

#[cfg(test)]
mod tests {
    use super::{Report, micros};

    #[test]
    fn reads_wrk_reports() {
        let report = "\
Running 1s test @ http://127.0.0.1:1/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.03ms  605.34us   9.32ms   80.52%
    Req/Sec    15.59k     1.11k   16.84k    80.00%
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    1.80ms
     99%    3.25ms
  15507 requests in 1.00s, 1.48MB read
Requests/sec:  15489.90
Transfer/sec:      1.48MB
";
        let parsed = Report::parse(report).expect("a report");
        assert_eq!(parsed.requests, 15507);
        assert!((parsed.rps - 15489.90).abs() < 1e-6);
        assert!((parsed.p99_us - 3250.0).abs() < 1e-6);
        assert_eq!(micros("812.00us"), Some(812.0));
        assert_eq!(micros("2.00s"), Some(2e6));
        assert_eq!(micros("12"), None);
        assert!(Report::parse("nothing").is_err());
    }
}
