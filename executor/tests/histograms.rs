//! The histograms, busy ratios, slow-poll count and blocking queue depth of
//! `Metrics`, read after known workloads: counts, never timings.

mod util;

use std::sync::mpsc;
use std::time::Duration;

use baton_protocol::task::yield_now;
use baton_protocol::time::sleep;
use util::{Case, Ex, Options};

matrix!(
    histograms_count_every_poll_and_wake,
    histograms_off_keep_counts_and_parks,
    zero_threshold_makes_every_poll_slow,
    blocking_queue_depth_counts_waiting_jobs,
    reader_works_from_another_thread,
);

const TASKS: u64 = 20;
const YIELDS: u64 = 5;

/// Spawns `TASKS` tasks that each yield `YIELDS` times, waits for them,
/// then sleeps so that the workers go idle.
fn yield_workload(ex: &Ex) {
    let handles: Vec<_> = (0..TASKS)
        .map(|_| {
            ex.spawn(async {
                for _ in 0..YIELDS {
                    yield_now().await;
                }
            })
            .unwrap()
        })
        .collect();
    ex.block_on(async {
        for h in handles {
            h.await.unwrap();
        }
        sleep(Duration::from_millis(1)).await.unwrap();
    })
    .unwrap();
}

/// Waits until some worker has come back from a sleep: a sleep is recorded
/// when it ends, which on the runtime may be just after `block_on`
/// returned (the worker that woke the root records its own sleep after).
fn wait_for_a_recorded_park(ex: &Ex) {
    while ex.metrics().park_duration.count() == 0 {
        std::thread::yield_now();
    }
}

fn histograms_count_every_poll_and_wake(case: Case) {
    let ex = case.ex_with(Options {
        metrics_histograms: Some(true),
        ..Options::default()
    });
    yield_workload(&ex);
    wait_for_a_recorded_park(&ex);
    let m = ex.metrics();
    // Each task: a first poll, then one per yield (each after a wake).
    assert!(m.polls >= TASKS * (YIELDS + 1), "{m:?}");
    // Every poll of a timed executor is timed, and every task was stamped
    // when spawned or woken: the three counts agree exactly.
    assert_eq!(m.poll_duration.count(), m.polls, "{m:?}");
    assert_eq!(m.scheduled_delay.count(), m.polls, "{m:?}");
    assert!(m.parks > 0, "{m:?}");
    assert!(m.poll_duration.quantile(0.5) <= m.poll_duration.quantile(1.0));
    assert_eq!(m.slow_polls, 0, "no threshold, no slow polls");
    let workers = if ex.is_local() { 1 } else { 2 };
    assert_eq!(m.per_worker.len(), workers);
    let summed: u64 = m.per_worker.iter().map(|w| w.poll_duration.count()).sum();
    assert_eq!(summed, m.poll_duration.count());
    for (i, w) in m.per_worker.iter().enumerate() {
        assert_eq!(w.index, i);
        // A worker whose thread has yet to start its loop (the other one
        // ran everything) has been active for no time at all.
        if w.polls > 0 {
            assert!(w.active > Duration::ZERO, "{w:?}");
        }
        assert!(w.parked <= w.active, "{w:?}");
        assert!((0.0..=1.0).contains(&w.busy_ratio()), "{w:?}");
    }
    // A window: more yields, counted from the earlier snapshot.
    let before = ex.metrics();
    let task = ex
        .spawn(async {
            for _ in 0..YIELDS {
                yield_now().await;
            }
        })
        .unwrap();
    ex.block_on(task).unwrap().unwrap();
    let after = ex.metrics();
    let window = after.scheduled_delay.since(&before.scheduled_delay);
    assert!(window.count() > YIELDS, "{window:?}");
}

fn histograms_off_keep_counts_and_parks(case: Case) {
    let ex = case.ex();
    yield_workload(&ex);
    wait_for_a_recorded_park(&ex);
    let m = ex.metrics();
    assert!(m.polls >= TASKS * (YIELDS + 1), "{m:?}");
    assert_eq!(m.poll_duration.count(), 0, "{m:?}");
    assert_eq!(m.scheduled_delay.count(), 0, "{m:?}");
    // Parks are always timed: they are system calls anyway.
    assert!(m.park_duration.count() > 0, "{m:?}");
    assert!(m.per_worker.iter().any(|w| w.parked > Duration::ZERO));
}

fn zero_threshold_makes_every_poll_slow(case: Case) {
    let ex = case.ex_with(Options {
        slow_poll_threshold: Some(Duration::ZERO),
        ..Options::default()
    });
    yield_workload(&ex);
    let m = ex.metrics();
    assert!(m.polls >= TASKS * (YIELDS + 1), "{m:?}");
    assert_eq!(m.slow_polls, m.polls, "{m:?}");
    // A threshold alone keeps no histogram.
    assert_eq!(m.poll_duration.count(), 0, "{m:?}");
}

fn blocking_queue_depth_counts_waiting_jobs(case: Case) {
    let ex = case.ex_with(Options {
        max_blocking_threads: Some(1),
        ..Options::default()
    });
    let (started_tx, started) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let first = ex
        .spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        })
        .unwrap();
    started.recv().unwrap();
    // The one pool thread is busy: these two wait for it.
    let queued: Vec<_> = (0..2)
        .map(|i| ex.spawn_blocking(move || i).unwrap())
        .collect();
    let m = ex.metrics();
    assert_eq!(
        (m.blocking_threads, m.blocking_queue_depth),
        (1, 2),
        "{m:?}"
    );
    release.send(()).unwrap();
    ex.block_on(first).unwrap().unwrap();
    for (i, job) in queued.into_iter().enumerate() {
        assert_eq!(ex.block_on(job).unwrap().unwrap(), i);
    }
    assert_eq!(ex.metrics().blocking_queue_depth, 0);
}

fn reader_works_from_another_thread(case: Case) {
    let ex = case.ex();
    let reader = ex.metrics_reader();
    yield_workload(&ex);
    let polls = ex.metrics().polls;
    let seen = std::thread::spawn(move || reader.metrics()).join().unwrap();
    assert!(seen.polls >= polls, "{seen:?}");
    assert_eq!(seen.spawned, TASKS);
    // A reader outlives its executor and keeps the last figures.
    let reader = ex.metrics_reader();
    drop(ex);
    assert!(reader.metrics().polls >= polls);
}
