//! The clients a soak runs against each server, in a cycle repeated until
//! the phase's time is up, and how each run's output is judged.
//!
//! Each cycle mixes the kinds of traffic that could leave something
//! behind: pipelined requests (deep reply queues), many connections at
//! once (per-connection buffers), and connections opened and closed as
//! fast as the client can (accept, spawn, close and deregister on every
//! request). One cycle takes a few seconds, so each third of a phase holds
//! several of them and the thirds compare like with like.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::child::Finished;

/// One kind of client run.
pub(crate) struct Run {
    /// A short name, for the table and for messages.
    pub(crate) label: &'static str,
    program: PathBuf,
    args: Vec<String>,
    check: Check,
}

/// How to read a run's output.
enum Check {
    /// `redis-benchmark -q`, `requests` for each of `tests`.
    Benchmark {
        tests: &'static [&'static str],
        requests: u64,
    },
    /// `echo client`, which prints the round trips it made.
    Echo,
}

impl Run {
    /// The command that starts this run.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        cmd
    }

    /// Requests (or round trips) the run made.
    ///
    /// # Errors
    ///
    /// The client failed: a non-zero exit, an error in its output, or
    /// missing results.
    pub(crate) fn check(&self, run: &Finished) -> Result<u64, String> {
        let counted = match self.check {
            Check::Benchmark { tests, requests } => {
                benchmark_problem(&run.stdout, &run.stderr, tests)
                    .map_or(Ok(requests * tests.len() as u64), Err)
            }
            Check::Echo => echo_round_trips(&run.stdout, &run.stderr),
        };
        match (run.status.success(), counted) {
            (true, Ok(n)) => Ok(n),
            (true, Err(e)) => Err(e),
            (false, Err(e)) => Err(format!("{}: {e}", run.status)),
            (false, Ok(_)) => Err(format!(
                "{}; stdout {:?}, stderr {:?}",
                run.status,
                tail(&run.stdout),
                tail(&run.stderr)
            )),
        }
    }
}

/// The redis-benchmark cycle against the `resp` server at `addr`.
///
/// Keys are drawn from 10 000 (`-r`), so the keyspace fills during
/// warm-up and then stays the same size; values are 64 bytes in every
/// run, so overwriting a key does not change what it holds.
pub(crate) fn resp_cycle(benchmark: &Path, addr: SocketAddr) -> Vec<Run> {
    let run = |label, flags: &[&str], tests: &'static [&'static str], requests: u64| {
        let mut args: Vec<String> = [
            "-h",
            &addr.ip().to_string(),
            "-p",
            &addr.port().to_string(),
            "-q",
            "-d",
            "64",
            "-r",
            "10000",
            "-n",
            &requests.to_string(),
            "-t",
            &benchmark_tests(tests),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(flags.iter().map(|s| (*s).to_owned()));
        Run {
            label,
            program: benchmark.to_path_buf(),
            args,
            check: Check::Benchmark { tests, requests },
        }
    };
    vec![
        run(
            "pipelined x16, 50 conns",
            &["-c", "50", "-P", "16"],
            &[
                "PING_INLINE",
                "PING_MBULK",
                "SET",
                "GET",
                "INCR",
                "MSET (10 keys)",
            ],
            50_000,
        ),
        run(
            "200 conns",
            &["-c", "200"],
            &["SET", "GET", "MSET (10 keys)"],
            10_000,
        ),
        run(
            "churn: -k 0",
            &["-c", "20", "-k", "0"],
            &["SET", "GET"],
            2_000,
        ),
    ]
}

/// The `-t` list that makes redis-benchmark run `tests` (the names it
/// prints are upper case, and `PING_*` both come from `ping`).
fn benchmark_tests(tests: &[&str]) -> String {
    let mut names: Vec<String> = Vec::new();
    for test in tests {
        let name = match test.split([' ', '_']).next() {
            Some(first) => first.to_ascii_lowercase(),
            None => continue,
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(",")
}

/// The echo client cycle against the `echo` server at `addr`.
pub(crate) fn echo_cycle(echo: &Path, addr: SocketAddr) -> Vec<Run> {
    let run = |label, flags: &[&str]| {
        let mut args = vec!["client".to_owned(), "--addr".to_owned(), addr.to_string()];
        args.extend(flags.iter().map(|s| (*s).to_owned()));
        Run {
            label,
            program: echo.to_path_buf(),
            args,
            check: Check::Echo,
        }
    };
    vec![
        run(
            "16 conns x 64 B",
            &["--connections", "16", "--size", "64", "--duration", "2"],
        ),
        run(
            "200 conns x 4 KiB",
            &["--connections", "200", "--size", "4096", "--duration", "2"],
        ),
        // One round trip per connection: connect, echo, close, 100 at once.
        run(
            "churn: 1 trip/conn",
            &["--connections", "100", "--count", "100"],
        ),
    ]
}

/// What is wrong with a `redis-benchmark -q` run that printed `stdout`
/// and `stderr` for `tests`, if anything: an error message anywhere, a
/// line on standard error other than its `WARNING:`s (it warns that it
/// cannot read the server's CONFIG, and that `-k 0` needs TIME_WAIT
/// reuse), or a test without its `requests per second` result (which it
/// prints only once every request has been answered).
pub(crate) fn benchmark_problem(stdout: &str, stderr: &str, tests: &[&str]) -> Option<String> {
    // Progress lines end in `\r`, results in `\n`.
    let split = |text: &str| -> Vec<String> {
        text.split(['\r', '\n'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (out, err) = (split(stdout), split(stderr));
    if let Some(line) = out
        .iter()
        .chain(&err)
        .find(|l| l.to_ascii_lowercase().contains("error"))
    {
        return Some(format!("redis-benchmark reported {line:?}"));
    }
    if let Some(line) = err.iter().find(|l| !l.starts_with("WARNING:")) {
        return Some(format!("redis-benchmark wrote {line:?} to stderr"));
    }
    let missing: Vec<&str> = tests
        .iter()
        .copied()
        .filter(|test| {
            !out.iter().any(|l| {
                l.strip_prefix(test)
                    .and_then(|rest| rest.strip_prefix(": "))
                    .is_some_and(|rest| rest.contains(" requests per second"))
            })
        })
        .collect();
    if missing.is_empty() {
        None
    } else {
        Some(format!(
            "redis-benchmark gave no result for {missing:?}; it printed {:?}",
            tail(stdout)
        ))
    }
}

/// The round trips of the `echo client: N round trips in ...` line; any
/// standard error output is a failure.
///
/// # Errors
///
/// Standard error is not empty, or the line is missing.
pub(crate) fn echo_round_trips(stdout: &str, stderr: &str) -> Result<u64, String> {
    if !stderr.trim().is_empty() {
        return Err(format!(
            "the echo client wrote {:?} to stderr",
            tail(stderr)
        ));
    }
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("echo client: "))
        .and_then(|rest| rest.split_once(" round trips in "))
        .and_then(|(n, _)| n.parse().ok())
        .ok_or_else(|| format!("the echo client printed no report: {:?}", tail(stdout)))
}

/// The last few hundred bytes of `text`, for messages.
fn tail(text: &str) -> &str {
    let text = text.trim();
    let mut start = text.len().saturating_sub(400);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::{benchmark_problem, benchmark_tests, echo_round_trips};

    /// What `redis-benchmark -q -t set,get` prints to a pipe: progress
    /// lines ended by `\r`, one result line per test.
    const SET_GET: &str = "SET: rps=0.0 (overall: -nan) avg_msec=-nan (overall: -nan)\r      \r\
        SET: 245098.05 requests per second, p50=1.727 msec\n\
        GET: rps=6222.2 (overall: 142545.5) avg_msec=5.024 (overall: 5.024)\r    \r\
        GET: 347222.25 requests per second, p50=1.511 msec\n\n";
    const WARNINGS: &str = "WARNING: Could not fetch server CONFIG\n\
        WARNING: Keepalive disabled. You probably need 'echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse'\n";

    #[test]
    fn a_clean_benchmark_run_passes() {
        assert_eq!(benchmark_problem(SET_GET, WARNINGS, &["SET", "GET"]), None);
        assert_eq!(benchmark_problem(SET_GET, "", &["GET"]), None);
    }

    #[test]
    fn a_missing_result_fails() {
        let cut = SET_GET.split("GET: 347222").next().expect("prefix");
        let problem = benchmark_problem(cut, "", &["SET", "GET"]).expect("GET is missing");
        assert!(problem.contains("[\"GET\"]"), "{problem}");
        // A progress line is not a result.
        let progress = "MSET (10 keys): rps=75792.8 (overall: 107480.2)\r";
        assert!(benchmark_problem(progress, "", &["MSET (10 keys)"]).is_some());
    }

    #[test]
    fn errors_fail_wherever_they_are_printed() {
        let server_error = format!("{SET_GET}Error from server: ERR unknown command 'SET'\n");
        assert!(benchmark_problem(&server_error, "", &["SET", "GET"]).is_some());
        let closed = "Error: Server closed the connection\n";
        let problem = benchmark_problem(SET_GET, closed, &["SET", "GET"]).expect("an error");
        assert!(
            problem.contains("Server closed the connection"),
            "{problem}"
        );
        let refused = "Could not connect to Redis at 127.0.0.1:1: Connection refused\n";
        assert!(benchmark_problem(SET_GET, refused, &["SET"]).is_some());
    }

    #[test]
    fn test_names_become_the_t_flag() {
        let tests = ["PING_INLINE", "PING_MBULK", "SET", "GET", "MSET (10 keys)"];
        assert_eq!(benchmark_tests(&tests), "ping,set,get,mset");
    }

    #[test]
    fn echo_reports_are_read() {
        let out = "echo client: 20000 round trips in 1.234 s: 16207 round trips/s, \
                   mean 0.247 ms (4 connections x 64 bytes) on reactor epoll, executor local\n";
        assert_eq!(echo_round_trips(out, ""), Ok(20000));
        assert!(echo_round_trips("", "").is_err());
        assert!(echo_round_trips(out, "error: connection refused\n").is_err());
    }
}
