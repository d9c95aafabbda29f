//! `cargo xtask conformance`: build the matrix runner twice (the default
//! build, and reactor-poll on poll(2) via `--cfg polling_test_poll_backend`
//! in its own target folder) and the hosts' runner (tokio and smol hosting
//! the protocol), and run the default one with the others' pairs joined in.
//! Every flag is the runner's own (`--help` lists them).

use std::process::ExitCode;

use crate::cargo;

const PACKAGE: &str = "baton-conformance";
const TEST: &str = "matrix";
/// The runner of the host columns (`conformance/tests/hosts.rs`).
const HOSTS: &str = "hosts";

pub(crate) fn run(args: &[String]) -> ExitCode {
    let default = match cargo::build_test_binary(PACKAGE, TEST, false) {
        Ok(path) => path,
        Err(e) => return fail(&e),
    };
    let mut runner_args: Vec<String> = args.to_vec();
    if wants_poll2(args) {
        eprintln!("xtask: building the poll(2) runner (target/poll2)…");
        match cargo::build_test_binary(PACKAGE, TEST, true) {
            Ok(path) => {
                runner_args.push("--with-runner".into());
                runner_args.push(path.display().to_string());
            }
            Err(e) => return fail(&e),
        }
    }
    if !queries_only(args) {
        match cargo::build_test_binary(PACKAGE, HOSTS, false) {
            Ok(path) => {
                runner_args.push("--with-runner".into());
                runner_args.push(path.display().to_string());
            }
            Err(e) => return fail(&e),
        }
    }
    match std::process::Command::new(&default)
        .args(&runner_args)
        .current_dir(cargo::root())
        .status()
    {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => fail(&format!("cannot run {}: {e}", default.display())),
    }
}

/// Whether the run needs the poll(2) build: not for `--help`, `--list` or
/// `--mutants`, nor when `--reactor` names only other reactors.
fn wants_poll2(args: &[String]) -> bool {
    let mut reactors = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-h" | "--help" | "--list" | "--mutants" => return false,
            "--reactor" => {
                if let Some(v) = args.get(i + 1) {
                    reactors.extend(v.split(',').map(str::to_owned));
                }
                i += 1;
            }
            a if a.starts_with("--reactor=") => {
                reactors.extend(a["--reactor=".len()..].split(',').map(str::to_owned));
            }
            _ => {}
        }
        i += 1;
    }
    reactors.is_empty() || reactors.iter().any(|r| r.contains("poll2"))
}

/// Whether the run only answers a question (`--help`, `--list`) or runs
/// the mutants: no other runner joins.
fn queries_only(args: &[String]) -> bool {
    args.iter()
        .any(|a| matches!(a.as_str(), "-h" | "--help" | "--list" | "--mutants"))
}

fn fail(message: &str) -> ExitCode {
    eprintln!("xtask conformance: {message}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::wants_poll2;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn poll2_is_built_only_when_a_selected_pair_needs_it() {
        assert!(wants_poll2(&args("")));
        assert!(wants_poll2(&args("--filter time.")));
        assert!(wants_poll2(&args("--reactor epoll,poll2")));
        assert!(wants_poll2(&args("--reactor=vt(poll2)")));
        assert!(!wants_poll2(&args("--reactor epoll")));
        assert!(!wants_poll2(&args("--list")));
        assert!(!wants_poll2(&args("--mutants")));
    }
}
