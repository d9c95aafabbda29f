//! A foreign `block_on` on a worker thread: another executor's `block_on`
//! called from a task of a multi-thread runtime is refused with an error
//! value (it would block that worker), and allowed from `spawn_blocking`.

use baton_executor::{LocalExecutor, Runtime};
use baton_protocol::Error;
use baton_reactor_epoll::EpollReactor;

fn runtime() -> Runtime {
    Runtime::builder()
        .reactor(EpollReactor::new().expect("epoll reactor"))
        .workers(2)
        .build()
        .expect("runtime")
}

fn is_nested(result: &Result<u8, Error>) -> bool {
    matches!(result, Err(Error::InvalidState(msg)) if msg.contains("worker thread of another runtime"))
}

#[test]
fn other_runtime_block_on_on_a_worker_is_refused() {
    let outer = runtime();
    let inner = runtime();
    let refused = outer
        .block_on(
            outer
                .spawn(async move { inner.block_on(async { 1u8 }) })
                .unwrap(),
        )
        .unwrap()
        .unwrap();
    assert!(is_nested(&refused), "{refused:?}");
}

#[test]
fn local_block_on_on_a_worker_is_refused() {
    let outer = runtime();
    let refused = outer
        .block_on(
            outer
                .spawn(async {
                    let local = LocalExecutor::new(EpollReactor::new().expect("epoll reactor"));
                    local.block_on(async { 1u8 })
                })
                .unwrap(),
        )
        .unwrap()
        .unwrap();
    assert!(is_nested(&refused), "{refused:?}");
}

#[test]
fn block_on_from_spawn_blocking_is_allowed() {
    let outer = runtime();
    let inner = runtime();
    let answer = outer
        .block_on(
            outer
                .spawn_blocking(move || inner.block_on(async { 7u8 }))
                .unwrap(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(answer.unwrap(), 7);
}

#[test]
fn block_on_on_a_plain_thread_inside_another_block_on_is_allowed() {
    // Not a worker: the caller's own thread, in the outer root future. Only
    // the caller waits, which is its choice.
    let outer = runtime();
    let inner = runtime();
    let answer = outer
        .block_on(async { inner.block_on(async { 3u8 }) })
        .unwrap();
    assert_eq!(answer.unwrap(), 3);
}
