//! `cargo xtask loom`: the concurrency models of the reactor kit (readiness
//! table, timers against park), of the protocol (Promise) and of the executor (parker, idle
//! workers, join handles, shutdown) under loom, in a release build of their
//! own (`--cfg loom` changes every crate's code).

use std::process::ExitCode;

use crate::cargo;

pub(crate) fn run(args: &[String]) -> ExitCode {
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if !flags.is_empty() {
        flags.push(' ');
    }
    flags.push_str("--cfg loom");
    let status = cargo::cargo()
        .args(["test", "-p", "baton-protocol", "-p", "baton-reactor-kit"])
        .args(["-p", "baton-executor"])
        .args(["--release", "--lib", "loom"])
        .args(args)
        .env("RUSTFLAGS", flags)
        .env(
            "CARGO_TARGET_DIR",
            cargo::root().join("target").join("loom"),
        )
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("xtask loom: the loom models failed ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("xtask loom: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
