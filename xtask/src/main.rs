//! baton's task runner, run as `cargo xtask <task>` (an alias in
//! `.cargo/config.toml`).
//!
//! - `conformance [flags]`: the conformance matrix on every reactor ×
//!   executor pair, including the poll(2) build of reactor-poll;
//! - `ci`: exactly what CI runs (`.ci/run`), without the package installs;
//! - `loom`: the reactor kit's, the protocol's and the executor's loom models;
//! - `bench [flags]`: the benchmarks against tokio and smol (`baton-bench`);
//! - `soak [--minutes N]`: the example servers under load, watched for
//!   leaks of memory and file descriptors.
//! - `fuzz-model [--cases N]`: the reactor model test, long, in release.

#![forbid(unsafe_code)]

mod bench;
mod cargo;
mod ci;
mod conformance;
mod fuzz_model;
mod loom;
mod soak;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [args]

tasks:
  conformance [flags]  run the conformance matrix (every reactor × executor,
                       the poll(2) build included); `cargo xtask conformance
                       --help` lists its flags
  ci                   run what CI runs: fmt, clippy, docs, tests, conformance,
                       loom, bench --quick, soak --minutes 1
  loom                 run the kit's, protocol's and executor's loom models (release)
  bench [flags]        run the benchmarks against tokio and smol; `cargo xtask
                       bench --help` lists its flags
  soak [--minutes N]   run the resp and echo examples under load for N
                       minutes (default 5), failing on RSS growth, errors
                       or leaked fds
  fuzz-model [flags]   run the reactor model test on N sequences per subject
                       (release); `cargo xtask fuzz-model --help` lists its flags
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    match task.as_deref() {
        Some("conformance") => conformance::run(&rest),
        Some("ci") => ci::run(),
        Some("loom") => loom::run(&rest),
        Some("bench") => bench::run(&rest),
        Some("soak") => soak::run(&rest),
        Some("fuzz-model") => fuzz_model::run(&rest),
        Some("-h" | "--help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("xtask: unknown task {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
