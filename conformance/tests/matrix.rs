//! The conformance matrix on baton's own backends: every reactor × executor
//! pair. `cargo test --workspace` runs it on the default build;
//! `cargo xtask conformance` runs it too and adds the poll(2) build (this
//! file compiled with `--cfg polling_test_poll_backend`, where the polling
//! reactor is named `poll2`).

mod backends;

use std::process::ExitCode;

fn main() -> ExitCode {
    backends::suite().main()
}
