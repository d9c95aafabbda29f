//! Metrics, task dumps and the lost-waker check.

mod util;

use std::future::{Future, pending};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use baton_executor::{LostWaker, TaskState};
use baton_protocol::io::Async;
use baton_protocol::task::{SpawnOptions, yield_now};
use baton_protocol::time::{interval, sleep, timeout};
use baton_protocol::{Error, Promise};
use util::{Case, Options};

matrix!(
    metrics_count_what_happened,
    dump_shows_what_tasks_wait_on,
    lost_waker_reported,
    lost_waker_check_quiet_on_legit_waits,
    never_ending_timers_wait_for_ever,
);

fn metrics_count_what_happened(case: Case) {
    let ex = case.ex();
    let before = ex.metrics();
    assert_eq!(before.workers, if ex.is_local() { 1 } else { 2 });
    assert_eq!((before.spawned, before.alive_tasks), (0, 0));
    let handles: Vec<_> = (0..100)
        .map(|i| ex.spawn(async move { i }).unwrap())
        .collect();
    let gate = Promise::<()>::new();
    let waiting = ex.spawn(gate.clone().into_future()).unwrap();
    ex.block_on(async {
        for h in handles {
            h.await.unwrap();
        }
        sleep(Duration::from_millis(1)).await.unwrap();
    })
    .unwrap();
    let during = ex.metrics();
    assert_eq!(during.spawned, 101);
    assert_eq!(during.alive_tasks, 1, "only the waiting task is alive");
    assert!(during.polls >= 101, "{during:?}");
    assert!(during.reactor_turns > before.reactor_turns, "{during:?}");
    assert_eq!(during.global_queue_depth, 0);
    gate.set_result(()).unwrap();
    ex.block_on(waiting).unwrap().unwrap().unwrap();
    assert_eq!(ex.metrics().alive_tasks, 0);
    let blocking = ex.spawn_blocking(|| 3).unwrap();
    assert_eq!(ex.block_on(blocking).unwrap().unwrap(), 3);
    let after = ex.metrics();
    assert_eq!(after.spawned, 102);
    assert_eq!(after.blocking_threads, 1);
    if !ex.is_local() {
        assert!(after.parks > 0, "{after:?}");
    }
}

fn dump_shows_what_tasks_wait_on(case: Case) {
    let ex = case.ex();
    let (a, b) = util::socketpair();
    let fd = a.as_raw_fd();
    let registered = Promise::new();
    let options = SpawnOptions::here().with_name("conn-handler");
    let line = line!() - 1;
    let reader = {
        let registered = registered.clone();
        ex.spawn_with(options, async move {
            let a = Async::new(a).unwrap();
            registered.set_result(()).unwrap();
            a.readable().await.unwrap();
        })
        .unwrap()
    };
    let gate = Promise::<()>::new();
    let waiter = ex.spawn(gate.clone().into_future()).unwrap();
    ex.block_on(async {
        (&registered).await.unwrap();
        // Until both tasks have reached their waits.
        while ex
            .dump()
            .tasks
            .iter()
            .filter(|t| t.state == TaskState::Waiting && t.waits_for.is_some())
            .count()
            < 2
        {
            yield_now().await;
        }
    })
    .unwrap();
    let dump = ex.dump();
    let text = dump.to_string();
    let expected = format!(
        "{} (conn-handler, spawned at {}:{line}) waits for fd {fd} readable",
        reader.id(),
        file!()
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("{expected} ["))),
        "{text}"
    );
    let entry = dump.tasks.iter().find(|t| t.id == reader.id()).unwrap();
    assert_eq!(entry.state, TaskState::Waiting);
    assert_eq!(entry.name.as_deref(), Some("conn-handler"));
    let other = dump.tasks.iter().find(|t| t.id == waiter.id()).unwrap();
    assert!(other.to_string().contains("waits for Promise"), "{other}");
    assert_eq!(dump.tasks.len(), 2);
    drop(b);
    gate.set_result(()).unwrap();
    ex.block_on(async {
        reader.await.unwrap();
        waiter.await.unwrap().unwrap();
    })
    .unwrap();
    assert!(ex.dump().tasks.is_empty());
}

/// A future that returns `Pending` and forgets its waker: a bug the check
/// must catch.
struct LosesWaker;

impl Future for LosesWaker {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

fn collect_errors(ex: &util::Ex) -> Arc<Mutex<Vec<Error>>> {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&errors);
    ex.handle()
        .set_error_hook(move |e| sink.lock().unwrap().push(e.clone()));
    errors
}

fn lost_waker_reported(case: Case) {
    let ex = case.ex_with(Options {
        lost_waker_check: Some(true),
        ..Options::default()
    });
    let errors = collect_errors(&ex);
    let options = SpawnOptions::here().with_name("forgetful");
    let line = line!() - 1;
    let lost = ex.spawn_with(options, LosesWaker).unwrap();
    let id = lost.id();
    ex.block_on(async {
        while errors.lock().unwrap().is_empty() {
            yield_now().await;
        }
    })
    .unwrap();
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let report = errors[0].downcast_ref::<LostWaker>().expect("a LostWaker");
    assert_eq!(report.id, id);
    assert_eq!(report.name.as_deref(), Some("forgetful"));
    assert_eq!(
        (report.location.file(), report.location.line()),
        (file!(), line)
    );
    assert!(errors[0].to_string().contains("forgetful"), "{}", errors[0]);
}

fn lost_waker_check_quiet_on_legit_waits(case: Case) {
    let ex = case.ex_with(Options {
        lost_waker_check: Some(true),
        ..Options::default()
    });
    let errors = collect_errors(&ex);
    let (a, b) = util::socketpair();
    ex.block_on(async {
        let inner = baton_protocol::spawn(async {
            for _ in 0..10 {
                yield_now().await;
            }
            sleep(Duration::from_millis(2)).await.unwrap();
            7
        })
        .unwrap();
        let reader = baton_protocol::spawn(async move {
            let a = Async::new(a).unwrap();
            let mut buf = [0u8; 1];
            util::read_exact(&a, &mut buf).await.unwrap();
            buf[0]
        })
        .unwrap();
        let promise = Promise::new();
        let setter = {
            let promise = promise.clone();
            baton_protocol::spawn(async move {
                yield_now().await;
                promise.set_result(1u8).unwrap();
            })
            .unwrap()
        };
        let b = Async::new(b).unwrap();
        util::write_all(&b, &[9]).await.unwrap();
        assert_eq!(inner.await.unwrap(), 7);
        assert_eq!(reader.await.unwrap(), 9);
        assert_eq!(promise.await.unwrap(), 1);
        setter.await.unwrap();
    })
    .unwrap();
    assert!(
        errors.lock().unwrap().is_empty(),
        "{:?}",
        errors.lock().unwrap()
    );
}

/// A timer that can never fire is a wait, not a lost waker: the check
/// stays quiet and the dump says "waits for ever". `sleep(Duration::MAX)` is
/// the protocol's never-ending sleep; the others have deadlines beyond the
/// clock's range (the last instant it can hold), so no reactor timer is
/// ever inserted for them and no waker is stored.
fn never_ending_timers_wait_for_ever(case: Case) {
    let ex = case.ex_with(Options {
        lost_waker_check: Some(true),
        ..Options::default()
    });
    let errors = collect_errors(&ex);
    let spawned = [
        ex.spawn(async { sleep(Duration::MAX).await }).unwrap(),
        ex.spawn(async { sleep(Duration::from_secs(u64::MAX)).await })
            .unwrap(),
        ex.spawn(async {
            let mut ticks = interval(Duration::MAX)?;
            ticks.tick().await?;
            ticks.tick().await?;
            Ok::<(), Error>(())
        })
        .unwrap(),
        ex.spawn(async { timeout(Duration::MAX, pending::<()>()).await })
            .unwrap(),
    ];
    let ids: Vec<_> = spawned.iter().map(|h| h.id()).collect();
    ex.block_on(async {
        // The check runs on the poll that returns Pending: once the dump
        // shows every task waiting with a report, each had that poll.
        while !ex
            .dump()
            .tasks
            .iter()
            .filter(|t| ids.contains(&t.id))
            .all(|t| t.state == TaskState::Waiting && t.waits_for.is_some())
        {
            yield_now().await;
        }
    })
    .unwrap();
    let lost = errors.lock().unwrap().clone();
    let dump = ex.dump();
    let lines: Vec<String> = ids
        .iter()
        .map(|id| {
            let task = dump.tasks.iter().find(|t| t.id == *id).expect("alive");
            task.to_string()
        })
        .collect();
    assert!(lost.is_empty(), "reported lost: {lost:?}");
    for line in &lines {
        assert!(line.contains("waits for ever"), "{line}");
    }
    for mut handle in spawned {
        handle.abort();
    }
}
