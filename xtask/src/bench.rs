//! `cargo xtask bench [flags]`: builds the benchmark binaries in release
//! mode (`baton-bench`, with `--observed` or on a full run also its
//! `observed` variant, and the `resp` example server once it exists),
//! installs `redis-server` and `redis-benchmark` if they are missing, and
//! runs `baton-bench suite`, which writes `target/bench/latest.json`, the
//! markdown table and, on a full run, `BENCHMARKS.md`.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use crate::{cargo, tools};

const USAGE: &str = "\
usage: cargo xtask bench [--quick] [--filter w1,w2] [--runtimes r1,r2]
                         [--repeats N] [--plot] [--observed]

  --quick      every workload at a small size, one repeat (about a minute;
               CI runs it to prove the benchmarks work, it asserts nothing
               about speed)
  --filter     only these workloads (spawn_inside, spawn_protocol, spawn_foreign, yield_many,
               ping_pong, chained_spawn, request_reply, timers, timer_cancel,
               process_spawn, tcp_echo, resp, http, fs_read, idle_tasks, idle_conns)
  --runtimes   only these runtimes (baton-epoll-multi, baton-epoll-local,
               baton-poll-multi, baton-poll-local, baton-uring-multi,
               baton-uring-local, baton-uring-completion-local,
               baton-uring-owned-local, baton-epoll-owned-local
               (the last three: owned-buffer echo, tcp_echo only),
               tokio-multi, tokio-current,
               smol-multi, smol-local, host-tokio-multi, host-tokio-current
               (native road), host-tokio-guest-multi,
               host-tokio-guest-current (guest road), host-smol-multi,
               host-smol-local, mio, redis-server,
               mini-redis); named runtimes run every workload, while by
               default a workload that does not use the reactor runs on
               baton's epoll pairs only
  --repeats    repeats per figure (9 for micro-benchmarks, 5 for servers;
               1 with --quick); verdicts need at least 3
  --plot       also write target/bench/latest.svg, a chart of the ratios
  --observed   also build baton-bench with baton's executor's `tracing` and
               `metrics` features (nothing installed), and run spawn_inside,
               yield_many and ping_pong on baton's runtimes on both builds:
               the features' idle cost, on ÷ off (on by default in a full run)

A full run (no --quick, --filter or --runtimes) also rewrites the generated
part of BENCHMARKS.md.
";

pub(crate) fn run(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let full = !args
        .iter()
        .any(|a| ["--quick", "--filter", "--runtimes"].contains(&a.as_str()));
    let observed = if full || args.iter().any(|a| a == "--observed") {
        match observed_bench() {
            Ok(path) => Some(path),
            Err(e) => {
                eprintln!("xtask bench: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let command = format!("cargo xtask bench {}", args.join(" "));
    let args: Vec<String> = args
        .iter()
        .filter(|a| *a != "--observed")
        .cloned()
        .collect();
    let args = &args[..];
    // After the observed build, so that this path holds the plain binary.
    let bench = match cargo::build_release_bin("baton-bench", "baton-bench") {
        Ok(path) => path,
        Err(e) => {
            eprintln!("xtask bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let wants_resp = filter_includes(args, "resp");
    let resp = if wants_resp { resp_server() } else { None };
    if wants_resp {
        install_redis();
    }
    let mut cmd = Command::new(bench);
    cmd.arg("suite")
        .arg("--root")
        .arg(cargo::root())
        .arg("--command")
        .arg(command.trim_end())
        .args(args);
    if let Some(resp) = resp {
        cmd.arg("--resp-bin").arg(resp);
    }
    if let Some(observed) = observed {
        cmd.arg("--observed-bin").arg(observed);
    }
    match cmd.status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("xtask bench: the suite failed ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("xtask bench: cannot run the suite: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds baton-bench with its `observed` feature and copies the binary
/// beside the plain one (`baton-bench-observed`), which the next build
/// overwrites.
fn observed_bench() -> Result<PathBuf, String> {
    let built = cargo::build_release_bin_with("baton-bench", "baton-bench", &["observed"])?;
    let copy = built.with_file_name("baton-bench-observed");
    std::fs::copy(&built, &copy).map_err(|e| format!("{}: {e}", copy.display()))?;
    Ok(copy)
}

/// Whether `--filter` (absent: everything) selects `workload`.
fn filter_includes(args: &[String], workload: &str) -> bool {
    let mut selected = true;
    for pair in args.windows(2) {
        if pair[0] == "--filter" {
            selected = pair[1].split(',').any(|w| w == workload);
        }
    }
    selected
}

/// The `resp` example server, built in release mode, if `baton-examples`
/// has such a binary; `None` (and a printed reason) otherwise.
fn resp_server() -> Option<PathBuf> {
    let has_resp = cargo::cargo()
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .stderr(Stdio::inherit())
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .is_some_and(|meta| {
            meta["packages"].as_array().into_iter().flatten().any(|p| {
                p["name"] == "baton-examples"
                    && p["targets"].as_array().into_iter().flatten().any(|t| {
                        t["name"] == "resp"
                            && t["kind"]
                                .as_array()
                                .is_some_and(|k| k.iter().any(|k| k == "bin"))
                    })
            })
        });
    if !has_resp {
        eprintln!(
            "xtask bench: baton-examples has no `resp` binary yet; the resp workload runs redis-server alone"
        );
        return None;
    }
    match cargo::build_release_bin("baton-examples", "resp") {
        Ok(path) => Some(path),
        Err(e) => {
            eprintln!("xtask bench: {e}; the resp workload runs redis-server alone");
            None
        }
    }
}

/// Installs redis-server and redis-tools when either program is missing.
/// A failure is printed; the suite then skips `resp` and says why.
fn install_redis() {
    if let Err(e) = tools::ensure(
        &["redis-server", "redis-benchmark"],
        &["redis-server", "redis-tools"],
    ) {
        eprintln!("xtask bench: {e}");
    }
}
