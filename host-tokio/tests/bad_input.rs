//! The host's answers to misuse: no host entered, the runtime shut down
//! under a waiting future, two hosts on one thread, a reactor a host cannot
//! drive.

use std::sync::Arc;
use std::time::Duration;

use baton_host_tokio::TokioHost;
use baton_protocol::{Error, Reactor};
use baton_reactor_epoll::EpollReactor;

fn reactor() -> Arc<dyn Reactor> {
    Arc::new(EpollReactor::new().expect("epoll"))
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio")
}

#[test]
fn protocol_code_in_a_plain_tokio_task_gets_no_runtime() {
    let rt = current_thread();
    let slept = rt.block_on(async {
        tokio::spawn(async { baton_protocol::time::sleep(Duration::from_millis(1)).await })
            .await
            .expect("the task ran")
    });
    assert!(matches!(slept, Err(Error::NoRuntime)), "{slept:?}");
}

#[test]
fn start_outside_tokio_is_no_runtime() {
    assert!(matches!(TokioHost::start(reactor()), Err(Error::NoRuntime)));
}

#[test]
fn runtime_shutdown_under_a_waiting_future_is_shutdown() {
    let rt = current_thread();
    let host = TokioHost::start_on(rt.handle(), reactor()).expect("host");
    let (tx, rx) = std::sync::mpsc::channel();
    // A protocol future that waits for an hour in a task of the runtime,
    // and one awaited from outside it, on another thread.
    drop(rt.spawn(host.run(async move {
        let _ = baton_protocol::time::sleep(Duration::from_secs(3600)).await;
    })));
    let outside = host.clone();
    let waiter = std::thread::spawn(move || {
        let sleep = outside.run(baton_protocol::time::sleep(Duration::from_secs(3600)));
        let result = futures_block_on(sleep);
        tx.send(()).expect("main thread waits");
        result
    });
    rt.block_on(host.run(baton_protocol::time::sleep(Duration::from_millis(5))))
        .expect("the host runs while block_on does");
    drop(rt);
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the waiting future ended after the shutdown");
    let result = waiter.join().expect("no panic");
    assert!(matches!(result, Err(Error::Shutdown)), "{result:?}");
    assert!(matches!(
        host.handle().spawn(async {}),
        Err(Error::Shutdown)
    ));
}

/// A minimal `block_on` for a future whose wake-ups come from another
/// thread.
fn futures_block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unparker(std::thread::Thread);
    impl std::task::Wake for Unparker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unparker(std::thread::current())).into();
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

#[test]
fn two_hosts_on_one_thread_is_an_error() {
    let rt = current_thread();
    let a = TokioHost::start_on(rt.handle(), reactor()).expect("host a");
    let b = TokioHost::start_on(rt.handle(), reactor()).expect("host b");
    a.enter_thread().expect("the first host enters");
    a.enter_thread()
        .expect("entering the same host again is fine");
    assert!(matches!(b.enter_thread(), Err(Error::InvalidState(_))));
    TokioHost::leave_thread();
    b.enter_thread()
        .expect("after leaving, another host may enter");
    TokioHost::leave_thread();
}

#[test]
fn a_reactor_without_a_guest_fd_is_unsupported() {
    let rt = current_thread();
    let vt: Arc<dyn Reactor> = Arc::new(baton_testing::VirtualTime::new(
        EpollReactor::new().expect("epoll"),
    ));
    assert!(matches!(
        TokioHost::start_on(rt.handle(), vt),
        Err(Error::Unsupported(_))
    ));
}

#[test]
fn a_runtime_without_timers_stops_the_host_instead_of_hanging() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("tokio");
    let host = TokioHost::start_on(rt.handle(), reactor()).expect("host");
    let slept = host.block_on(&rt, baton_protocol::time::sleep(Duration::from_millis(1)));
    assert!(matches!(slept, Err(Error::Shutdown)), "{slept:?}");
}

#[test]
fn stop_cancels_protocol_tasks_and_polls_none_afterwards() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio");
    let host = TokioHost::start_on(rt.handle(), reactor()).expect("host");
    let stopped = Arc::new(AtomicBool::new(false));
    let late = Arc::new(AtomicUsize::new(0));
    let polls = Arc::new(AtomicUsize::new(0));
    let (waiting, spinning) = rt.block_on(host.run(async {
        let (stopped2, late2, polls2) = (stopped.clone(), late.clone(), polls.clone());
        // A task that waits on a timer, and one that wakes itself for ever:
        // after `stop`, neither may be polled again.
        let waiting = baton_protocol::spawn(async {
            baton_protocol::time::sleep(Duration::from_secs(3600)).await
        })
        .expect("spawn");
        let spinning = baton_protocol::spawn(std::future::poll_fn(move |cx| {
            polls2.fetch_add(1, Ordering::SeqCst);
            if stopped2.load(Ordering::SeqCst) {
                late2.fetch_add(1, Ordering::SeqCst);
            }
            cx.waker().wake_by_ref();
            std::task::Poll::<()>::Pending
        }))
        .expect("spawn");
        (waiting, spinning)
    }));
    // The spinning task has run: it is being polled over and over.
    while polls.load(Ordering::SeqCst) < 10 {
        std::thread::yield_now();
    }
    host.stop();
    stopped.store(true, Ordering::SeqCst);
    let joined = rt.block_on(async { (waiting.await, spinning.await) });
    assert!(
        matches!(joined.0, Err(Error::Cancelled(_))),
        "{:?}",
        joined.0
    );
    assert!(
        matches!(joined.1, Err(Error::Cancelled(_))),
        "{:?}",
        joined.1
    );
    assert_eq!(
        late.load(Ordering::SeqCst),
        0,
        "a task was polled after stop"
    );
}

#[test]
fn stop_from_inside_a_protocol_task_returns() {
    let rt = current_thread();
    let host = TokioHost::start_on(rt.handle(), reactor()).expect("host");
    let inside = host.clone();
    let joined = rt.block_on(host.run(async move {
        baton_protocol::spawn(async move { inside.stop() })
            .expect("spawn")
            .await
    }));
    assert!(joined.is_ok(), "{joined:?}");
    assert!(matches!(
        rt.block_on(host.run(baton_protocol::time::sleep(Duration::from_millis(1)))),
        Err(Error::Shutdown | Error::NoRuntime)
    ));
}
