//! Builder settings and their bad values.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use baton_executor::{LocalExecutor, Runtime};
use baton_protocol::Error;
use util::Case;

flavor_matrix!(Runtime: bad_settings_are_errors, threads_named_and_hooked);
flavor_matrix!(Local: local_bad_settings_are_errors);

fn bad_settings_are_errors(case: Case) {
    let bad = [
        Runtime::builder()
            .shared_reactor((case.reactor)())
            .workers(0)
            .build(),
        Runtime::builder().workers(1).build(),
        Runtime::builder()
            .shared_reactor((case.reactor)())
            .event_interval(0)
            .build(),
        Runtime::builder()
            .shared_reactor((case.reactor)())
            .global_queue_interval(0)
            .build(),
        Runtime::builder()
            .shared_reactor((case.reactor)())
            .max_blocking_threads(0)
            .build(),
        Runtime::builder()
            .shared_reactor((case.reactor)())
            .workers(1 << 20)
            .build(),
    ];
    for result in bad {
        assert!(matches!(result, Err(Error::InvalidState(_))), "{result:?}");
    }
}

fn local_bad_settings_are_errors(case: Case) {
    assert!(matches!(
        LocalExecutor::builder().build(),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        LocalExecutor::builder()
            .shared_reactor((case.reactor)())
            .event_interval(0)
            .build(),
        Err(Error::InvalidState(_))
    ));
}

fn threads_named_and_hooked(case: Case) {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let names = Arc::new(Mutex::new(Vec::new()));
    let rt = Runtime::builder()
        .shared_reactor((case.reactor)())
        .workers(3)
        .thread_name("edge")
        .thread_stack_size(256 * 1024)
        .on_thread_start({
            let started = Arc::clone(&started);
            let names = Arc::clone(&names);
            move || {
                started.fetch_add(1, Ordering::SeqCst);
                let name = thread::current().name().unwrap().to_owned();
                names.lock().unwrap().push(name);
                // Inside the runtime already.
                assert!(baton_protocol::Handle::current().is_ok());
            }
        })
        .on_thread_stop({
            let stopped = Arc::clone(&stopped);
            move || {
                stopped.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .unwrap();
    assert_eq!(rt.metrics().workers, 3);
    // A task runs on a named worker.
    let name = rt
        .block_on(
            rt.spawn(async { thread::current().name().map(str::to_owned) })
                .unwrap(),
        )
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(name.starts_with("edge-"), "{name}");
    drop(rt);
    assert_eq!(started.load(Ordering::SeqCst), 3);
    assert_eq!(stopped.load(Ordering::SeqCst), 3);
    let mut names = names.lock().unwrap().clone();
    names.sort();
    assert_eq!(names, ["edge-0", "edge-1", "edge-2"]);
}
