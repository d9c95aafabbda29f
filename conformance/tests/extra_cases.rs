//! Cases a backend author adds with `Suite::case` run under the suite's own
//! harness: in the pair's child process, under the watchdog and the teardown
//! checks, reported in the matrix by id. This binary is the runner and, as
//! every runner is, its own child process.

use std::os::unix::net::UnixStream;
use std::process::ExitCode;
use std::time::Duration;

use baton_conformance::{Case, CaseError, Ctx, Options, Outcome, Status, Suite, ensure};
use baton_protocol::time::sleep;

mod backends;

/// Passes: what a backend author's own check looks like.
fn sleeps(ctx: &Ctx) -> Outcome {
    let reactor = ctx.runtime()?.handle().reactor().clone();
    let before = reactor.now();
    ctx.block_on(sleep(Duration::from_millis(2)))??;
    ensure!(
        reactor.now() >= before + Duration::from_millis(2),
        "woke early"
    );
    Ok(())
}

/// Fails with its own message.
fn fails(_: &Ctx) -> Outcome {
    ensure!(1 + 1 == 3, "the extra case failed on purpose");
    Ok(())
}

/// Passes its body but leaks a socket: the teardown check must fail it.
fn leaks_an_fd(_: &Ctx) -> Outcome {
    std::mem::forget(UnixStream::pair()?);
    Ok(())
}

/// Never ends: the watchdog must fail it.
fn hangs(_: &Ctx) -> Outcome {
    loop {
        std::thread::park();
    }
}

fn suite() -> Result<Suite, CaseError> {
    backends::suite()
        .case(Case::new("extra.sleeps", &[], sleeps).with_summary("an added case that passes"))?
        .with_cases([
            Case::new("extra.fails", &[], fails),
            Case::new("extra.leaks_an_fd", &[], leaks_an_fd),
            Case::new("extra.hangs", &[], hangs).with_watchdog(Duration::from_secs(1)),
        ])
}

fn main() -> ExitCode {
    let suite = suite().expect("the extra cases are accepted");
    // In a child process (the harness names the pair in the environment) the
    // suite runs the cases it is asked for, the added ones included.
    if std::env::var_os("BATON_CONFORMANCE_PAIR").is_some() {
        return suite.main();
    }
    check_refusals();
    let pair = "epoll×local";
    let report = suite.run(&Options {
        reactors: vec!["epoll".into()],
        executors: vec!["local".into()],
        filters: vec!["extra.".into()],
        ..Options::default()
    });
    let status = |case: &str| report.cell(case, pair).map(|c| c.status.clone());
    let fail_message = |case: &str| match status(case) {
        Some(Status::Fail(message)) => message,
        other => panic!("{case} should have failed on {pair}, got {other:?}"),
    };
    assert_eq!(status("extra.sleeps"), Some(Status::Pass));
    assert!(fail_message("extra.fails").contains("the extra case failed on purpose"));
    let leak = fail_message("extra.leaks_an_fd");
    assert!(leak.contains("file descriptors leaked"), "{leak}");
    assert!(fail_message("extra.hangs").contains("watchdog"));
    let table = report.to_table();
    for id in [
        "extra.sleeps",
        "extra.fails",
        "extra.leaks_an_fd",
        "extra.hangs",
    ] {
        assert!(table.contains(id), "{id} missing from the report:\n{table}");
    }
    let failed: Vec<&str> = report.failures().iter().map(|c| c.case.as_str()).collect();
    assert_eq!(failed, ["extra.fails", "extra.leaks_an_fd", "extra.hangs"]);
    assert!(
        report
            .cases
            .iter()
            .any(|(id, summary)| id == "extra.sleeps" && summary == "an added case that passes")
    );
    // Not the report's summary line: "1 passed, 3 failed" would read as a
    // failing run to anything that scans the log for closing lines.
    println!("extra cases: as expected (extra.sleeps passed; the three broken on purpose failed)");
    check_seed_sweep(&suite);
    ExitCode::SUCCESS
}

/// `--seeds`: only the fault-injecting rows run, once per seed, and a
/// failure names every seed it failed under.
fn check_seed_sweep(suite: &Suite) {
    let report = suite.run(&Options {
        executors: vec!["local".into()],
        filters: vec!["extra.fails".into()],
        seed: Some(11),
        seeds: 2,
        ..Options::default()
    });
    assert_eq!(report.seeds.len(), 2);
    assert_eq!(report.seeds[0], 11, "the run's seed comes first");
    assert!(!report.columns.is_empty());
    for column in &report.columns {
        assert!(column.reactor.starts_with("chaos("), "{}", column.pair);
        let message = match &report.cell("extra.fails", &column.pair).map(|c| &c.status) {
            Some(Status::Fail(message)) => message.clone(),
            other => panic!("extra.fails should fail on {}: {other:?}", column.pair),
        };
        for seed in &report.seeds {
            assert!(
                message.contains(&format!("BATON_SEED={seed}: ")),
                "{seed} missing from {message}"
            );
        }
    }
}

/// Duplicate ids, built in or added, and malformed ids are refused by name.
fn check_refusals() {
    let twice = Suite::new()
        .case(Case::new("extra.once", &[], sleeps))
        .and_then(|s| s.case(Case::new("extra.once", &[], fails)));
    assert_eq!(twice.err(), Some(CaseError::Duplicate("extra.once")));
    let built_in = Suite::new().case(Case::new("io.writable_initially", &[], sleeps));
    let error = built_in.expect_err("a built-in id is taken");
    assert_eq!(error, CaseError::Duplicate("io.writable_initially"));
    assert!(
        error.to_string().contains("io.writable_initially"),
        "{error}"
    );
    let malformed = Suite::new().with_cases([Case::new("Extra", &[], sleeps)]);
    assert_eq!(malformed.err(), Some(CaseError::Malformed("Extra")));
}
