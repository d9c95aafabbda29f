//! `block_on`: re-entry is an error value, several callers share one
//! runtime, and nothing starts after shutdown.

mod util;

use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use baton_executor::{LocalExecutor, Runtime};
use baton_protocol::io::Async;
use baton_protocol::{Error, Promise};
use util::{Case, Ex};

matrix!(
    reentry_from_root_rejected,
    reentry_from_task_rejected,
    nothing_starts_after_shutdown,
    shutdown_from_inside_rejected,
);
flavor_matrix!(Runtime: concurrent_callers_make_progress, drop_inside_own_task);

fn is_reentry(result: &Result<u8, Error>) -> bool {
    matches!(result, Err(Error::InvalidState(msg)) if msg.contains("block_on"))
}

fn reentry_from_root_rejected(case: Case) {
    let ex = case.ex();
    let inner = ex.block_on(async { ex.block_on(async { 1u8 }) }).unwrap();
    assert!(is_reentry(&inner), "{inner:?}");
    // Both still work afterwards.
    assert_eq!(ex.block_on(async { 2 }).unwrap(), 2);
}

fn reentry_from_task_rejected(case: Case) {
    let inner = match case.ex() {
        Ex::Local(ex) => {
            let ex: Rc<LocalExecutor> = Rc::new(ex);
            let task = {
                let ex2 = Rc::clone(&ex);
                ex.spawn_local(async move { ex2.block_on(async { 1u8 }) })
                    .unwrap()
            };
            ex.block_on(task).unwrap().unwrap()
        }
        Ex::Runtime(rt) => {
            let rt: Arc<Runtime> = Arc::new(rt);
            let task = {
                let rt2 = Arc::clone(&rt);
                rt.spawn(async move { rt2.block_on(async { 1u8 }) })
                    .unwrap()
            };
            rt.block_on(task).unwrap().unwrap()
        }
    };
    assert!(is_reentry(&inner), "{inner:?}");
}

fn nothing_starts_after_shutdown(case: Case) {
    let ex = case.ex();
    let handle = ex.handle().clone();
    ex.shutdown();
    let dropped = util::DropCounter::default();
    let token = dropped.token();
    assert!(matches!(
        ex.spawn(async move { drop(token) }),
        Err(Error::Shutdown)
    ));
    assert_eq!(dropped.get(), 1, "the refused future is dropped");
    assert!(matches!(handle.spawn(async {}), Err(Error::Shutdown)));
    assert!(matches!(ex.block_on(async {}), Err(Error::Shutdown)));
    assert!(matches!(ex.spawn_blocking(|| ()), Err(Error::Shutdown)));
    // Shutting down again is a no-op.
    ex.shutdown();
}

fn shutdown_from_inside_rejected(case: Case) {
    let rejected = match case.ex() {
        Ex::Local(ex) => {
            let ex = Rc::new(ex);
            let ex2 = Rc::clone(&ex);
            let task = ex.spawn_local(async move { ex2.shutdown() }).unwrap();
            ex.block_on(task).unwrap().unwrap()
        }
        Ex::Runtime(rt) => {
            let rt = Arc::new(rt);
            let rt2 = Arc::clone(&rt);
            let task = rt
                .spawn(async move { rt2.shutdown_timeout(Duration::from_secs(1)) })
                .unwrap();
            rt.block_on(task).unwrap().unwrap()
        }
    };
    assert!(
        matches!(rejected, Err(Error::InvalidState(_))),
        "{rejected:?}"
    );
    // From the root future too: the loop is running.
    let ex = case.ex();
    let from_root = ex
        .block_on(async {
            match &ex {
                Ex::Local(ex) => ex.shutdown(),
                Ex::Runtime(rt) => rt.shutdown_timeout(Duration::from_secs(1)),
            }
        })
        .unwrap();
    assert!(
        matches!(from_root, Err(Error::InvalidState(_))),
        "{from_root:?}"
    );
}

fn concurrent_callers_make_progress(case: Case) {
    let Ex::Runtime(rt) = case.ex() else {
        unreachable!()
    };
    let (a, b) = util::socketpair();
    thread::scope(|s| {
        // An echo on one caller's thread, a client on the other's: neither
        // can finish unless both are served.
        let echo = s.spawn(|| {
            rt.block_on(async {
                let a = Async::new(a).unwrap();
                let mut buf = [0u8; 4];
                for _ in 0..100 {
                    util::read_exact(&a, &mut buf).await.unwrap();
                    util::write_all(&a, &buf).await.unwrap();
                }
            })
            .unwrap();
        });
        let client = s.spawn(|| {
            rt.block_on(async {
                let b = Async::new(b).unwrap();
                let mut buf = [0u8; 4];
                for i in 0..100u32 {
                    util::write_all(&b, &i.to_le_bytes()).await.unwrap();
                    util::read_exact(&b, &mut buf).await.unwrap();
                    assert_eq!(u32::from_le_bytes(buf), i);
                }
            })
            .unwrap();
        });
        echo.join().unwrap();
        client.join().unwrap();
    });
}

fn drop_inside_own_task(case: Case) {
    let Ex::Runtime(rt) = case.ex() else {
        unreachable!()
    };
    let rt = Arc::new(rt);
    let gate = Promise::<()>::new();
    let (done_tx, done_rx) = mpsc::channel();
    let pending = util::DropCounter::default();
    {
        let token = pending.token();
        rt.spawn(async move {
            let _token = token;
            Promise::<()>::new().await
        })
        .unwrap()
        .detach();
    }
    {
        let rt2 = Arc::clone(&rt);
        let gate = gate.clone();
        rt.spawn(async move {
            gate.await.unwrap();
            // The last reference: the runtime is dropped on its own worker.
            drop(rt2);
            done_tx.send(()).unwrap();
        })
        .unwrap()
        .detach();
    }
    drop(rt);
    gate.set_result(()).unwrap();
    done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("dropping the runtime from its own task returned");
    // The other task's future is dropped by its worker as it exits.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while pending.get() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "pending task never dropped"
        );
        thread::yield_now();
    }
    assert_eq!(pending.get(), 1);
}
