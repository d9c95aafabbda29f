//! The `metrics` feature: what `MetricsPublisher` hands to an installed
//! recorder (metrics-util's `DebuggingRecorder`), by name, label and value.

#![cfg(feature = "metrics")]

mod util;

use std::collections::BTreeMap;
use std::time::Duration;

use baton_executor::{LocalExecutor, Metrics, MetricsPublisher};
use baton_protocol::task::yield_now;
use baton_protocol::time::sleep;
use metrics::Unit;
use metrics_util::MetricKind;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

/// What one snapshot of the recorder holds, by (kind, name, labels).
type Seen = BTreeMap<(MetricKind, String, Vec<(String, String)>), (Option<Unit>, DebugValue)>;

fn seen(snapshotter: &Snapshotter) -> Seen {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, unit, _, value)| {
            let labels = key
                .key()
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            let name = key.key().name().to_owned();
            ((key.kind(), name, labels), (unit, value))
        })
        .collect()
}

fn label() -> Vec<(String, String)> {
    vec![("executor".to_owned(), "test".to_owned())]
}

fn counter(seen: &Seen, name: &str) -> u64 {
    match seen.get(&(MetricKind::Counter, name.to_owned(), label())) {
        Some((_, DebugValue::Counter(n))) => *n,
        other => panic!("{name}: {other:?} in {seen:#?}"),
    }
}

fn gauge(seen: &Seen, name: &str, labels: Vec<(String, String)>) -> f64 {
    match seen.get(&(MetricKind::Gauge, name.to_owned(), labels)) {
        Some((_, DebugValue::Gauge(v))) => v.into_inner(),
        other => panic!("{name}: {other:?} in {seen:#?}"),
    }
}

fn samples(seen: &Seen, name: &str) -> Vec<f64> {
    match seen.get(&(MetricKind::Histogram, name.to_owned(), label())) {
        Some((_, DebugValue::Histogram(v))) => v.iter().map(|x| x.into_inner()).collect(),
        other => panic!("{name}: {other:?} in {seen:#?}"),
    }
}

fn run_yielders(ex: &LocalExecutor, tasks: usize, yields: usize) {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            ex.spawn(async move {
                for _ in 0..yields {
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

#[test]
fn publishes_names_labels_and_values() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let ex = LocalExecutor::builder()
        .reactor(baton_reactor_epoll::EpollReactor::new().unwrap())
        .metrics_histograms(true)
        .build()
        .unwrap();
    let mut publisher = MetricsPublisher::new(ex.metrics_reader()).label("executor", "test");
    run_yielders(&ex, 10, 3);
    let first: Metrics = ex.metrics();
    metrics::with_local_recorder(&recorder, || {
        publisher.describe();
        publisher.publish();
    });
    let s = seen(&snapshotter);
    assert_eq!(counter(&s, "baton_executor_spawned_tasks_total"), 10);
    assert_eq!(counter(&s, "baton_executor_polls_total"), first.polls);
    assert_eq!(counter(&s, "baton_executor_parks_total"), first.parks);
    assert_eq!(
        counter(&s, "baton_executor_reactor_turns_total"),
        first.reactor_turns
    );
    assert_eq!(counter(&s, "baton_executor_steals_total"), 0);
    assert_eq!(counter(&s, "baton_executor_slow_polls_total"), 0);
    assert_eq!(gauge(&s, "baton_executor_workers", label()), 1.0);
    assert_eq!(gauge(&s, "baton_executor_alive_tasks", label()), 0.0);
    assert_eq!(gauge(&s, "baton_executor_global_queue_depth", label()), 0.0);
    assert_eq!(
        gauge(&s, "baton_executor_blocking_queue_depth", label()),
        0.0
    );
    let mut worker = label();
    worker.push(("worker".to_owned(), "0".to_owned()));
    let busy = gauge(&s, "baton_executor_worker_busy_ratio", worker);
    assert!((0.0..=1.0).contains(&busy), "{busy}");
    // One sample per poll: 10 tasks × (1 + 3 yields).
    let polls = samples(&s, "baton_executor_poll_duration_seconds");
    assert_eq!(polls.len() as u64, first.polls);
    assert!(first.polls >= 40);
    assert!(polls.iter().all(|&x| x >= 0.0));
    let delays = samples(&s, "baton_executor_scheduled_delay_seconds");
    assert_eq!(delays.len() as u64, first.polls);
    let parks = samples(&s, "baton_executor_park_duration_seconds");
    assert_eq!(parks.len() as u64, first.park_duration.count());
    assert!(!parks.is_empty());
    // Described with their units.
    let unit = |kind, name: &str| s[&(kind, name.to_owned(), label())].0;
    assert_eq!(
        unit(
            MetricKind::Histogram,
            "baton_executor_poll_duration_seconds"
        ),
        Some(Unit::Seconds)
    );
    assert_eq!(
        unit(MetricKind::Counter, "baton_executor_polls_total"),
        Some(Unit::Count)
    );

    // The next publish: counters are totals, histograms only what is new.
    run_yielders(&ex, 5, 1);
    let second = ex.metrics();
    metrics::with_local_recorder(&recorder, || publisher.publish());
    let s = seen(&snapshotter);
    assert_eq!(counter(&s, "baton_executor_spawned_tasks_total"), 15);
    assert_eq!(counter(&s, "baton_executor_polls_total"), second.polls);
    let new_polls = samples(&s, "baton_executor_poll_duration_seconds");
    assert_eq!(new_polls.len() as u64, second.polls - first.polls);
}

#[test]
fn run_publishes_periodically_from_a_task() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let ex = LocalExecutor::new(baton_reactor_epoll::EpollReactor::new().unwrap());
    let publisher = MetricsPublisher::new(ex.metrics_reader()).label("executor", "test");
    let mut exporter = ex.spawn(publisher.run(Duration::from_millis(1))).unwrap();
    // The local executor polls the exporter on this thread, where the
    // recorder is installed.
    metrics::with_local_recorder(&recorder, || {
        ex.block_on(sleep(Duration::from_millis(5)))
            .unwrap()
            .unwrap();
    });
    let s = seen(&snapshotter);
    assert!(counter(&s, "baton_executor_polls_total") >= 1, "{s:#?}");
    assert_eq!(counter(&s, "baton_executor_spawned_tasks_total"), 1);
    // Still running: it ends only with an error (here, a cancellation).
    exporter.abort();
    assert!(ex.block_on(exporter).unwrap().is_err());
    // Outside a runtime, it cannot sleep.
    let lone = MetricsPublisher::new(ex.metrics_reader());
    let outside = util::block_on_outside(lone.run(Duration::from_millis(1)));
    assert!(
        matches!(outside, Err(baton_protocol::Error::NoRuntime)),
        "{outside:?}"
    );
}
