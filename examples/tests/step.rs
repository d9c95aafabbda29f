//! `step`: the transcript of the design note's session, stepped by hand,
//! says what the note says, on both reactors.

mod proc;

use proc::{GUARD, run};

const STEP: &str = env!("CARGO_BIN_EXE_step");

/// The `Out[n]: ...` line of input `n`.
fn out(stdout: &str, n: usize) -> &str {
    let prefix = format!("Out[{n}]: ");
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no Out[{n}] in:\n{stdout}"))
}

#[test]
fn transcript_replays_the_design_note() {
    for reactor in ["epoll", "poll"] {
        let result = run(STEP, &["--reactor", reactor], GUARD);
        assert!(result.status.success(), "{result:?}");
        let s = &result.stdout;
        assert!(s.starts_with(&format!("step: reactor {reactor}\n")), "{s}");

        // 1. x = asyncio.sleep(1); q = x.send(None): pending on q.
        let promise = out(s, 3)
            .strip_prefix("Pending: waits on promise ")
            .unwrap_or_else(|| panic!("step 1 waits on the Promise: {s}"));
        assert!(promise.parse::<u64>().is_ok(), "{promise}");
        assert_eq!(out(s, 4), "<Promise pending>");
        assert_eq!(out(s, 5), "false", "q.done()");
        assert_eq!(out(s, 6), "false", "not woken yet");
        assert_eq!(out(s, 7), "Ok(())", "q.set_result");
        assert_eq!(out(s, 8), "true", "q.done()");
        assert_eq!(out(s, 9), r#"<Promise finished result={"a": 1}>"#);
        assert_eq!(out(s, 10), "true", "completing q woke the coroutine");
        assert_eq!(out(s, 11), r#"Ready(Ok({"a": 1}))"#);
        assert!(out(s, 12).starts_with("Finished"), "StopIteration");

        // 2. The hand-written poll and the async fn step identically.
        let first = out(s, 16);
        let (generator, native) = first
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|r| r.split_once(", "))
            .unwrap_or_else(|| panic!("{first}"));
        assert!(
            generator.starts_with("Pending: waits on promise "),
            "{first}"
        );
        assert_eq!(generator, native, "both wait on the same Promise");
        assert_eq!(out(s, 18), "(true, true)");
        let second = out(s, 19);
        assert!(
            second.starts_with("(Pending: waits on promise "),
            "{second}"
        );
        assert_ne!(second, first, "now on the second Promise");
        assert_eq!(out(s, 21), "(Ready(Ok(42)), Ready(Ok(42)))");

        // 3. sleep: no runtime is an error value; with one, the step waits
        // on a deadline, one park fires it, and the coroutine finishes.
        assert_eq!(out(s, 23), "Ready(Err(NoRuntime))");
        assert!(
            out(s, 25).starts_with("Pending: waits on a timer that fires in "),
            "{s}"
        );
        assert_eq!(out(s, 26), "ReactorStats { registrations: 0, timers: 1 }");
        let turn = out(s, 27);
        assert!(turn.contains("timers_fired: 1"), "{turn}");
        assert!(
            turn.ends_with("after at least 50 ms"),
            "never early: {turn}"
        );
        assert_eq!(out(s, 28), "true");
        assert_eq!(out(s, 29), "Ready(Ok(()))");
    }
}

#[test]
fn help_and_flags() {
    let result = run(STEP, &["--help"], GUARD);
    assert!(result.status.success());
    assert!(result.stdout.contains("--reactor"));
    let result = run(STEP, &["--executor", "multi"], GUARD);
    assert_eq!(result.status.code(), Some(2), "{result:?}");
}
