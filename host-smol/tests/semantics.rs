//! The protocol's semantics on smol: Decision 2 (a dropped handle
//! detaches, where smol's `Task` cancels), abort before the first poll,
//! panics, shutdown under a waiting future, and the entry points' errors.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_executor::Executor;
use baton_host_smol::SmolHost;
use baton_protocol::{Error, Reactor};
use baton_reactor_epoll::EpollReactor;

fn reactor() -> Arc<dyn Reactor> {
    Arc::new(EpollReactor::new().expect("epoll"))
}

fn host() -> (Arc<Executor<'static>>, SmolHost) {
    let ex = Arc::new(Executor::new());
    let host = SmolHost::start(&ex, reactor()).expect("host");
    (ex, host)
}

#[test]
fn dropped_join_handle_detaches() {
    let (ex, host) = host();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let done = baton_protocol::Promise::new();
    let settle = done.clone();
    host.block_on(&ex, async move {
        let handle = baton_protocol::spawn(async move {
            baton_protocol::time::sleep(Duration::from_millis(5)).await?;
            flag.store(true, Ordering::SeqCst);
            settle.set_result(()).expect("settled once");
            Ok::<_, Error>(())
        })
        .expect("spawned");
        drop(handle);
        done.await.expect("the detached task ran on");
    });
    assert!(ran.load(Ordering::SeqCst));
}

#[test]
fn abort_before_first_poll_never_polls() {
    let (ex, host) = host();
    let polled = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&polled);
    let joined = host.block_on(&ex, async move {
        let mut handle = baton_protocol::spawn(async move {
            flag.store(true, Ordering::SeqCst);
        })
        .expect("spawned");
        handle.abort();
        handle.await
    });
    assert!(matches!(joined, Err(Error::Cancelled(None))), "{joined:?}");
    assert!(!polled.load(Ordering::SeqCst));
}

#[test]
fn panic_reaches_the_joiner() {
    let (ex, host) = host();
    let joined = host.block_on(&ex, async {
        baton_protocol::spawn(async { panic!("boom") })
            .expect("spawned")
            .await
    });
    assert!(
        matches!(&joined, Err(Error::Panicked(text)) if text == "boom"),
        "{joined:?}"
    );
}

#[test]
fn protocol_code_in_a_plain_smol_task_gets_no_runtime() {
    let ex = Executor::new();
    let slept = async_io::block_on(ex.run(async {
        ex.spawn(baton_protocol::time::sleep(Duration::from_millis(1)))
            .await
    }));
    assert!(matches!(slept, Err(Error::NoRuntime)), "{slept:?}");
}

#[test]
fn executor_dropped_under_a_waiting_future_is_shutdown() {
    let (ex, host) = host();
    host.block_on(&ex, baton_protocol::time::sleep(Duration::from_millis(2)))
        .expect("the host runs while block_on does");
    let outside = host.clone();
    let (polled, first_poll) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let mut sleep = std::pin::pin!(baton_protocol::time::sleep(Duration::from_secs(3600)));
        let mut polled = Some(polled);
        async_io::block_on(outside.run(std::future::poll_fn(|cx| {
            let poll = sleep.as_mut().poll(cx);
            if let Some(polled) = polled.take() {
                let _ = polled.send(());
            }
            poll
        })))
    });
    // Once the waiter's timer is in the reactor, the executor goes away.
    first_poll.recv().expect("the waiter polled");
    drop(ex);
    let result = waiter.join().expect("no panic");
    assert!(matches!(result, Err(Error::Shutdown)), "{result:?}");
    assert!(matches!(
        host.handle().spawn(async {}),
        Err(Error::Shutdown)
    ));
}

#[test]
fn two_hosts_on_one_thread_is_an_error() {
    let (_ex_a, a) = host();
    let (_ex_b, b) = host();
    a.enter_thread().expect("the first host enters");
    a.enter_thread()
        .expect("entering the same host again is fine");
    assert!(matches!(b.enter_thread(), Err(Error::InvalidState(_))));
    SmolHost::leave_thread();
}

#[test]
fn a_reactor_without_a_guest_fd_is_unsupported() {
    let ex = Arc::new(Executor::new());
    let vt: Arc<dyn Reactor> = Arc::new(baton_testing::VirtualTime::new(
        EpollReactor::new().expect("epoll"),
    ));
    assert!(matches!(
        SmolHost::start(&ex, vt),
        Err(Error::Unsupported(_))
    ));
}
