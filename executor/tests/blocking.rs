//! `spawn_blocking`: a bounded pool with keep-alive, behind the same join
//! handle semantics as tasks.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::Duration;

use baton_executor::{LocalExecutor, Runtime};
use baton_protocol::{Error, Handle};
use util::{Case, DropCounter};

matrix!(
    blocking_returns_value_and_enters_runtime,
    blocking_panic_reported,
    blocking_abort_before_start_never_runs,
);
flavor_matrix!(Runtime: pool_is_bounded_and_threads_expire);

fn blocking_returns_value_and_enters_runtime(case: Case) {
    let ex = case.ex();
    let id = ex.handle().id();
    let job = ex
        .spawn_blocking(move || {
            let name = thread::current().name().map(str::to_owned);
            (Handle::current().map(|h| h.id()).ok(), name)
        })
        .unwrap();
    let (seen, name) = ex.block_on(job).unwrap().unwrap();
    assert_eq!(seen, Some(id));
    assert!(name.unwrap().contains("-blocking-"));
}

fn blocking_panic_reported(case: Case) {
    let ex = case.ex();
    let job = ex.spawn_blocking(|| panic!("blocking boom")).unwrap();
    let result: Result<(), Error> = ex.block_on(job).unwrap();
    assert!(
        matches!(result, Err(Error::Panicked(ref t)) if t == "blocking boom"),
        "{result:?}"
    );
    assert_eq!(
        ex.block_on(ex.spawn_blocking(|| 1).unwrap())
            .unwrap()
            .unwrap(),
        1
    );
}

fn blocking_abort_before_start_never_runs(case: Case) {
    // One pool thread, kept busy: the second job waits in the queue.
    let ex = match case.flavor {
        util::Flavor::Local => util::Ex::Local(
            LocalExecutor::builder()
                .shared_reactor((case.reactor)())
                .max_blocking_threads(1)
                .build()
                .unwrap(),
        ),
        util::Flavor::Runtime => util::Ex::Runtime(
            Runtime::builder()
                .shared_reactor((case.reactor)())
                .workers(1)
                .max_blocking_threads(1)
                .build()
                .unwrap(),
        ),
    };
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (entered_tx, entered_rx) = mpsc::channel();
    let busy = ex
        .spawn_blocking(move || {
            entered_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        })
        .unwrap();
    entered_rx.recv().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let drops = DropCounter::default();
    let mut queued = {
        let ran = Arc::clone(&ran);
        let token = drops.token();
        ex.spawn_blocking(move || {
            let _token = token;
            ran.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap()
    };
    queued.abort();
    release_tx.send(()).unwrap();
    ex.block_on(busy).unwrap().unwrap();
    let result = ex.block_on(queued).unwrap();
    assert!(matches!(result, Err(Error::Cancelled(None))), "{result:?}");
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(drops.get(), 1);
}

fn pool_is_bounded_and_threads_expire(case: Case) {
    let rt = Runtime::builder()
        .shared_reactor((case.reactor)())
        .workers(1)
        .max_blocking_threads(2)
        .blocking_keep_alive(Duration::from_millis(50))
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(2));
    let jobs: Vec<_> = (0..6)
        .map(|_| {
            let running = Arc::clone(&running);
            let peak = Arc::clone(&peak);
            let barrier = Arc::clone(&barrier);
            rt.spawn_blocking(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Two at a time meet here; a third would wait for a partner
                // that the bound keeps from starting.
                barrier.wait();
                running.fetch_sub(1, Ordering::SeqCst);
            })
            .unwrap()
        })
        .collect();
    rt.block_on(async {
        for job in jobs {
            job.await.unwrap();
        }
    })
    .unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    assert_eq!(rt.metrics().blocking_threads, 2);
    // Idle past the keep-alive, the threads exit.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while rt.metrics().blocking_threads > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "pool threads never expired"
        );
        thread::sleep(Duration::from_millis(10));
    }
}
