//! The run-time choice every binary shares (`baton::RuntimeOptions`):
//! flags, and the `BATON_*` variables under them, with messages that say
//! what is expected.

mod proc;

use std::process::Command;

use proc::{GUARD, run};

const SLEEP_HEAP: &str = env!("CARGO_BIN_EXE_sleep_heap");

fn with_env(vars: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(SLEEP_HEAP)
        .args(args)
        .envs(vars.iter().copied())
        .output()
        .expect("sleep_heap runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_flag_value_lists_the_valid_ones() {
    let out = run(SLEEP_HEAP, &["--reactor", "kqueue"], GUARD);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        out.stderr
            .contains("--reactor \"kqueue\": expected epoll, poll or uring"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_environment_picks_the_defaults() {
    let (code, stdout, stderr) = with_env(
        &[("BATON_REACTOR", "poll"), ("BATON_EXECUTOR", "local")],
        &["--tasks", "3", "--max-ms", "5"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("on reactor poll, executor local"),
        "{stdout}"
    );
    // A flag still wins over the variable.
    let (code, stdout, stderr) = with_env(
        &[("BATON_REACTOR", "poll")],
        &["--tasks", "3", "--max-ms", "5", "--reactor", "epoll"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("on reactor epoll"), "{stdout}");
}

#[test]
fn a_bad_variable_lists_the_valid_ones() {
    let (code, _, stderr) = with_env(&[("BATON_REACTOR", "kqueue")], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("BATON_REACTOR=\"kqueue\": expected epoll, poll or uring"),
        "{stderr}"
    );
    let (code, _, stderr) = with_env(&[("BATON_WORKERS", "0")], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("BATON_WORKERS=\"0\": must be at least 1"),
        "{stderr}"
    );
}
