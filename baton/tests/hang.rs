//! The hang guard: a test still waiting when `timeout` passes fails, with
//! what each task waits on.

use std::panic;
use std::time::Duration;

use baton::Promise;
use baton::rt::{RuntimeOptions, TestOptions};
use baton::task::Builder;

#[test]
fn a_hung_test_fails_with_a_task_dump() {
    for executor in ["local", "multi"] {
        let mut runtime = RuntimeOptions::for_tests();
        runtime.set("executor", executor).unwrap();
        let outcome = panic::catch_unwind(|| {
            baton::rt::test(
                TestOptions::new(runtime).timeout(Duration::from_millis(200)),
                || async {
                    let never = Promise::<()>::new();
                    let stuck = Builder::new().name("stuck-reader").spawn({
                        let never = never.clone();
                        async move { never.await }
                    })?;
                    stuck.await?
                },
            );
        });
        let payload = outcome.expect_err("the test hangs");
        let report = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(report.contains("timed out after 200ms"), "{report}");
        assert!(report.contains("stuck-reader"), "{executor}: {report}");
    }
}

#[baton::test(timeout = "30s")]
async fn a_test_that_finishes_is_not_failed() {
    baton::yield_now().await;
}
