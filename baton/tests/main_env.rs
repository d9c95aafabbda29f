//! What `#[baton::main]` runs (`baton::rt::main`): the `BATON_*` variables
//! override the attribute's options, and a bad one ends the program with
//! status 2 and a message listing the valid values. Each case runs in a
//! child process (this test binary, re-run on one test), since `main`
//! exits.

use std::process::{Command, Output};

use baton::rt::{ExecutorKind, RuntimeOptions};

/// Set in the child: run `main` instead of starting a child.
const CHILD: &str = "BATON_TEST_MAIN_CHILD";

fn child(test: &str, vars: &[(&str, &str)]) -> Output {
    Command::new(std::env::current_exe().expect("the test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        // Only what the case sets: not what this run inherited.
        .env_remove("BATON_REACTOR")
        .env_remove("BATON_EXECUTOR")
        .env_remove("BATON_WORKERS")
        .envs(vars.iter().copied())
        .output()
        .expect("the test binary runs")
}

/// The thread a spawned task runs on: a worker's name tells the executor.
fn main_reports_its_executor() {
    let options = RuntimeOptions {
        executor: ExecutorKind::Local,
        ..RuntimeOptions::default()
    };
    let thread = baton::rt::main(options, async {
        baton::spawn(async { std::thread::current().name().map(str::to_owned) })?.await
    });
    println!("task ran on {:?}", thread.ok().flatten());
}

#[test]
fn env_overrides_the_attribute() {
    if std::env::var_os(CHILD).is_some() {
        main_reports_its_executor();
        return;
    }
    let local = child("env_overrides_the_attribute", &[]);
    let local_out = String::from_utf8_lossy(&local.stdout);
    assert!(local.status.success(), "{local:?}");
    assert!(!local_out.contains("baton-worker"), "{local_out}");

    let multi = child(
        "env_overrides_the_attribute",
        &[("BATON_EXECUTOR", "multi"), ("BATON_WORKERS", "2")],
    );
    let multi_out = String::from_utf8_lossy(&multi.stdout);
    assert!(multi.status.success(), "{multi:?}");
    assert!(multi_out.contains("baton-worker"), "{multi_out}");
}

#[test]
fn a_bad_variable_is_a_usage_error() {
    if std::env::var_os(CHILD).is_some() {
        main_reports_its_executor();
        return;
    }
    let out = child(
        "a_bad_variable_is_a_usage_error",
        &[("BATON_REACTOR", "kqueue")],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: BATON_REACTOR=\"kqueue\": expected epoll, poll or uring"),
        "{stderr}"
    );
}
