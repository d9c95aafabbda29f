//! `sleep_heap`: every task wakes, none early, and on the single-thread
//! executor they wake in deadline order; the same seed gives the same
//! sleeps.

mod proc;

use proc::{GUARD, run, runtimes};

const SLEEP_HEAP: &str = env!("CARGO_BIN_EXE_sleep_heap");

/// `(task, slept ms, late ms)` of each `N. task T slept S ms, woke L ms late`
/// line, in the order printed.
fn wakes(stdout: &str) -> Vec<(usize, u64, f64)> {
    stdout
        .lines()
        .filter(|line| line.contains(". task "))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            // ["1.", "task", "4", "slept", "1", "ms,", "woke", "0.549", "ms", "late"]
            assert_eq!(words.get(9), Some(&"late"), "never early: {line}");
            (
                words[2].parse().expect("task"),
                words[4].parse().expect("slept"),
                words[7].parse().expect("late"),
            )
        })
        .collect()
}

#[test]
fn tasks_wake_in_deadline_order_never_early() {
    for runtime in runtimes() {
        let mut args = vec!["--tasks", "60", "--max-ms", "300", "--seed", "7"];
        args.extend(&runtime);
        let out = run(SLEEP_HEAP, &args, GUARD);
        assert!(out.status.success(), "{runtime:?}: {out:?}");
        assert!(
            out.stdout.contains("60 tasks sleeping 0..=300 ms (seed 7)"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("never early: yes"), "{}", out.stdout);
        let wakes = wakes(&out.stdout);
        let mut tasks: Vec<usize> = wakes.iter().map(|w| w.0).collect();
        tasks.sort_unstable();
        assert_eq!(tasks, (0..60).collect::<Vec<_>>(), "each task wakes once");
        assert!(wakes.iter().all(|w| w.1 <= 300 && w.2 >= 0.0));
        if runtime.contains(&"local") {
            // One thread: timers fire in deadline order and their tasks run
            // in the order they were woken.
            assert!(wakes.windows(2).all(|w| w[0].1 <= w[1].1), "{}", out.stdout);
            assert!(
                out.stdout.contains("woke in deadline order: yes"),
                "{}",
                out.stdout
            );
        }
    }
}

#[test]
fn the_seed_decides_the_sleeps() {
    let sleeps = |seed: &str| {
        let out = run(
            SLEEP_HEAP,
            &[
                "--tasks",
                "30",
                "--max-ms",
                "50",
                "--seed",
                seed,
                "--executor",
                "local",
            ],
            GUARD,
        );
        assert!(out.status.success(), "{out:?}");
        let mut sleeps: Vec<(usize, u64)> = wakes(&out.stdout).iter().map(|w| (w.0, w.1)).collect();
        sleeps.sort_unstable();
        sleeps
    };
    assert_eq!(sleeps("3"), sleeps("3"));
    assert_ne!(sleeps("3"), sleeps("4"));
}

#[test]
fn help_documents_every_flag() {
    let out = run(SLEEP_HEAP, &["--help"], GUARD);
    assert!(out.status.success());
    for flag in [
        "--tasks",
        "--max-ms",
        "--seed",
        "--reactor",
        "--executor",
        "--workers",
    ] {
        assert!(out.stdout.contains(flag), "--help documents {flag}");
    }
    let out = run(SLEEP_HEAP, &["--max-ms", "99999999999"], GUARD);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
