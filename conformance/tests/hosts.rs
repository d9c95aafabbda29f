//! The conformance matrix on the hosts: tokio (current-thread, and
//! multi-thread with 4 workers) and smol (one thread, and 4) running the
//! protocol over baton's reactors, driven as guests. `cargo xtask
//! conformance` joins these pairs to the main matrix (`--with-runner`).

mod host_backends;

use std::process::ExitCode;

fn main() -> ExitCode {
    host_backends::suite().main()
}
