//! baton's benchmarks, side by side with tokio and smol: `cargo xtask bench`.
//!
//! Use `cargo xtask bench` (which builds this binary in release mode and
//! runs `baton-bench suite`); see `BENCHMARKS.md` at the repository root for
//! the latest full table and what it says. The runtimes are every baton
//! reactor × executor pair, tokio's multi-thread (the reference of every
//! ratio) and current-thread runtimes, smol's multi-thread executor and its
//! `LocalExecutor`, plus a hand-written mio loop as the no-runtime limit of
//! the echo workload and a real `redis-server` as the reference of `resp`.
//!
//! Every measurement runs in a child process of its own (a fresh heap and
//! RSS figures of its own), so one binary has several modes:
//!
//! - `suite [--quick] [--filter w1,w2] [--runtimes r1,r2] [--repeats N]
//!   [--plot] [--root DIR] [--resp-bin PATH] [--command TEXT]
//!   [--observed-bin PATH]`: the whole run; writes
//!   `target/bench/latest.json`, `latest.md` (and `latest.svg` with
//!   `--plot`) and, on a full run, the generated part of `BENCHMARKS.md`;
//!   with `--observed-bin` (this binary built with the `observed` feature:
//!   baton's executor with its `tracing` and `metrics` features, nothing
//!   installed), the scheduler workloads also run on that build, for a
//!   features-on ÷ off table;
//! - `run <runtime> <workload> <size>`: one measurement; prints one JSON
//!   line, `{"metrics": {..}}` or `{"skipped": "why"}`, with `"observed"`
//!   saying which build ran it;
//! - `serve <runtime>`: an echo server; prints `listening <addr>` and
//!   serves until its standard input closes;
//! - `serve-http <runtime>`: the `http` workload's hyper server; prints
//!   `listening <addr>` and serves until its standard input closes;
//! - `serve-mini-redis <port>`: tokio's mini-redis on 127.0.0.1:`port`
//!   (the `resp` workload's application peer), until its standard input
//!   closes;
//! - `load --addr A --conns C --size M --warmup-ms W --ms T --server-pid P`:
//!   the echo load generator; prints one JSON line.
//!
//! Workloads, sizes and metrics are listed in `src/workload/mod.rs`; every
//! metric is lower-is-better.

#![forbid(unsafe_code)]

mod echo;
mod http;
mod mini_redis;
mod proc;
mod rt;
mod suite;
mod workload;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use lexopt::prelude::*;

use crate::rt::Kind;
use crate::workload::Outcome;

const USAGE: &str = "\
usage:
  baton-bench suite [--quick] [--filter w1,w2] [--runtimes r1,r2] [--repeats N]
                    [--plot] [--root DIR] [--resp-bin PATH] [--command TEXT]
                    [--observed-bin PATH]
  baton-bench run <runtime> <workload> <size>
  baton-bench serve <runtime>
  baton-bench serve-http <runtime>
  baton-bench serve-mini-redis <port>
  baton-bench load --addr A --conns C --size M --warmup-ms W --ms T --server-pid P
";

fn main() -> ExitCode {
    match cli() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime(name: &str) -> Result<Kind, String> {
    Kind::parse(name).ok_or_else(|| {
        let all: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
        format!(
            "unknown runtime {name:?}; the runtimes are {}",
            all.join(", ")
        )
    })
}

fn cli() -> Result<(), String> {
    let mut parser = lexopt::Parser::from_env();
    let err = |e: lexopt::Error| e.to_string();
    let mode = match parser.next().map_err(err)? {
        Some(Value(mode)) => mode.string().map_err(err)?,
        Some(Short('h') | Long("help")) => {
            print!("{USAGE}");
            return Ok(());
        }
        _ => return Err(format!("a mode is required\n{USAGE}")),
    };
    match mode.as_str() {
        "suite" => {
            let mut options = suite::Options {
                root: PathBuf::from("."),
                command: "baton-bench suite".to_owned(),
                ..suite::Options::default()
            };
            while let Some(arg) = parser.next().map_err(err)? {
                match arg {
                    Long("quick") => options.quick = true,
                    Long("plot") => options.plot = true,
                    Long("filter") => {
                        let value = parser.value().map_err(err)?.string().map_err(err)?;
                        options.filter.extend(value.split(',').map(str::to_owned));
                    }
                    Long("runtimes") => {
                        let value = parser.value().map_err(err)?.string().map_err(err)?;
                        for name in value.split(',') {
                            options.runtimes.push(runtime(name)?);
                        }
                    }
                    Long("repeats") => {
                        options.repeats = Some(parser.value().map_err(err)?.parse().map_err(err)?);
                    }
                    Long("root") => options.root = parser.value().map_err(err)?.into(),
                    Long("resp-bin") => {
                        options.resp_bin = Some(parser.value().map_err(err)?.into())
                    }
                    Long("command") => {
                        options.command = parser.value().map_err(err)?.string().map_err(err)?;
                    }
                    Long("observed-bin") => {
                        options.observed_bin = Some(parser.value().map_err(err)?.into())
                    }
                    _ => return Err(format!("{}\n{USAGE}", arg.unexpected())),
                }
            }
            suite::run(&options)
        }
        "run" => {
            let mut args = Vec::new();
            while let Some(arg) = parser.next().map_err(err)? {
                match arg {
                    Value(v) => args.push(v.string().map_err(err)?),
                    _ => return Err(format!("{}\n{USAGE}", arg.unexpected())),
                }
            }
            let [kind, workload, size] = <[String; 3]>::try_from(args)
                .map_err(|_| format!("run takes <runtime> <workload> <size>\n{USAGE}"))?;
            // Which build this is, so that the suite can check it ran the
            // binary it meant to.
            let observed = cfg!(feature = "observed");
            let line = match workload::run(runtime(&kind)?, &workload, &size)? {
                Outcome::Done(metrics) => {
                    serde_json::json!({ "metrics": metrics, "observed": observed })
                }
                Outcome::Skipped(reason) => {
                    serde_json::json!({ "skipped": reason, "observed": observed })
                }
            };
            println!("{line}");
            let _ = std::io::stdout().flush();
            // Skip the runtime's teardown (a million tasks to drop): the
            // figures are out, and the process is this measurement's alone.
            std::process::exit(0);
        }
        "serve" => {
            let kind = match parser.next().map_err(err)? {
                Some(Value(v)) => runtime(&v.string().map_err(err)?)?,
                _ => return Err(format!("serve takes <runtime>\n{USAGE}")),
            };
            echo::serve(kind)
        }
        "serve-http" => {
            let kind = match parser.next().map_err(err)? {
                Some(Value(v)) => runtime(&v.string().map_err(err)?)?,
                _ => return Err(format!("serve-http takes <runtime>\n{USAGE}")),
            };
            http::serve(kind)
        }
        "serve-mini-redis" => {
            let port = match parser.next().map_err(err)? {
                Some(Value(v)) => v.parse().map_err(err)?,
                _ => return Err(format!("serve-mini-redis takes <port>\n{USAGE}")),
            };
            mini_redis::serve(port)
        }
        "load" => {
            let mut addr: Option<SocketAddr> = None;
            let (mut conns, mut size, mut warmup, mut ms, mut pid) = (1, 64, 300, 1000, 0);
            while let Some(arg) = parser.next().map_err(err)? {
                match arg {
                    Long("addr") => addr = Some(parser.value().map_err(err)?.parse().map_err(err)?),
                    Long("conns") => conns = parser.value().map_err(err)?.parse().map_err(err)?,
                    Long("size") => size = parser.value().map_err(err)?.parse().map_err(err)?,
                    Long("warmup-ms") => {
                        warmup = parser.value().map_err(err)?.parse().map_err(err)?
                    }
                    Long("ms") => ms = parser.value().map_err(err)?.parse().map_err(err)?,
                    Long("server-pid") => {
                        pid = parser.value().map_err(err)?.parse().map_err(err)?
                    }
                    _ => return Err(format!("{}\n{USAGE}", arg.unexpected())),
                }
            }
            let args = echo::LoadArgs {
                addr: addr.ok_or("load needs --addr")?,
                conns,
                size,
                warmup: Duration::from_millis(warmup),
                window: Duration::from_millis(ms),
                server_pid: pid,
            };
            let metrics = echo::load(&args).map_err(|e| format!("load generator: {e}"))?;
            println!("{}", serde_json::json!({ "metrics": metrics }));
            Ok(())
        }
        other => Err(format!("unknown mode {other:?}\n{USAGE}")),
    }
}
