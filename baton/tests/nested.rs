//! A foreign `block_on` nested in a task: refused with a documented error
//! (`try_block_on`), a panic naming it (`block_on`), never a silently
//! blocked worker.

use baton::Error;
use baton::rt::{ExecutorKind, RuntimeOptions};

fn multi() -> baton::rt::Runtime {
    RuntimeOptions {
        executor: ExecutorKind::Multi,
        workers: 2,
        ..RuntimeOptions::default()
    }
    .build()
    .unwrap()
}

#[test]
fn try_block_on_in_a_worker_is_an_error() {
    let outer = multi();
    let refused = outer.block_on(async {
        baton::spawn(async {
            let inner = RuntimeOptions::for_tests().build()?;
            inner.try_block_on(async { 1 })
        })?
        .await?
    });
    assert!(
        matches!(&refused, Err(Error::InvalidState(m)) if m.contains("worker thread of another runtime")),
        "{refused:?}"
    );
}

#[test]
fn block_on_in_a_worker_panics_with_the_reason() {
    let outer = multi();
    let joined =
        outer.block_on(async { baton::spawn(async { baton::block_on(async { 1 }) })?.await });
    assert!(
        matches!(&joined, Err(Error::Panicked(m)) if m.contains("worker thread of another runtime")),
        "{joined:?}"
    );
}
