//! `each_pair` runs the body on every reactor × executor pair and reports
//! every failing pair by name, not only the first.

use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};

use baton::rt::{RuntimeOptions, TestOptions};

/// The pairs in the order `each_pair` runs them.
const PAIRS: [&str; 4] = ["epoll×local", "epoll×multi", "poll×local", "poll×multi"];

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .unwrap_or_default(),
    }
}

#[test]
fn every_failing_pair_is_reported() {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let outcome = panic::catch_unwind(|| {
        baton::rt::test(
            TestOptions::new(RuntimeOptions::for_tests()).each_pair(),
            || async {
                // Fails on the second and the fourth pair: one error value,
                // one panic.
                match RUN.fetch_add(1, Ordering::SeqCst) {
                    1 => Err("broken on purpose"),
                    3 => panic!("also broken on purpose"),
                    _ => Ok(()),
                }
            },
        );
    });
    assert_eq!(RUN.load(Ordering::SeqCst), 4, "every pair ran");
    let report = panic_text(outcome.expect_err("two pairs failed"));
    assert!(report.contains("failed on 2 pairs"), "{report}");
    for (i, pair) in PAIRS.iter().enumerate() {
        assert_eq!(
            report.contains(&format!("{pair}:")),
            i == 1 || i == 3,
            "{pair} in {report}"
        );
    }
    assert!(report.contains("broken on purpose"), "{report}");
    assert!(report.contains("also broken on purpose"), "{report}");
}

#[test]
fn a_passing_body_runs_on_every_pair() {
    static SEEN: AtomicUsize = AtomicUsize::new(0);
    baton::rt::test(
        TestOptions::new(RuntimeOptions::for_tests()).each_pair(),
        || async {
            // Each pair is a real runtime: spawning works.
            baton::spawn(async { SEEN.fetch_add(1, Ordering::SeqCst) })?.await?;
            Ok::<_, baton::Error>(())
        },
    );
    assert_eq!(SEEN.load(Ordering::SeqCst), 4);
}

/// Through the macro: the body fails on two pairs, and the test's panic
/// names both.
#[baton::test(each_pair)]
#[should_panic(
    expected = "failed on 2 pairs:\n  epoll×local: the test returned Err(\"odd one out\")\n  poll×local: the test returned Err(\"odd one out\")"
)]
async fn macro_reports_every_failing_pair() -> Result<(), &'static str> {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    if RUN.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
        return Err("odd one out");
    }
    Ok(())
}
