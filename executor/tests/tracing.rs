//! The `tracing` feature: a recording subscriber sees a span per task and
//! the spawn, poll, wake, park and slow-poll events.

#![cfg(feature = "tracing")]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use baton_executor::{LocalExecutor, Runtime};
use baton_protocol::task::{SpawnOptions, yield_now};
use baton_protocol::time::sleep;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// A span or an event, as the recorder saw it.
#[derive(Clone, Debug)]
struct Record {
    /// The span's name, or the event's message.
    name: String,
    level: Level,
    target: String,
    fields: BTreeMap<String, String>,
    /// For a span, its id; for an event, its span's (explicit or current).
    span: Option<u64>,
    is_span: bool,
    thread: String,
}

impl Record {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A layer that keeps everything it sees.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Record>>>);

impl Recorder {
    fn records(&self) -> Vec<Record> {
        self.0.lock().unwrap().clone()
    }
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_owned()
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let meta = attrs.metadata();
        self.0.lock().unwrap().push(Record {
            name: meta.name().to_owned(),
            level: *meta.level(),
            target: meta.target().to_owned(),
            fields: fields.0,
            span: Some(id.into_u64()),
            is_span: true,
            thread: thread_name(),
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let message = fields.0.remove("message").unwrap_or_default();
        let meta = event.metadata();
        self.0.lock().unwrap().push(Record {
            name: message,
            level: *meta.level(),
            target: meta.target().to_owned(),
            fields: fields.0,
            span: ctx.event_span(event).map(|s| s.id().into_u64()),
            is_span: false,
            thread: thread_name(),
        });
    }
}

fn events<'a>(records: &'a [Record], name: &str) -> Vec<&'a Record> {
    records
        .iter()
        .filter(|r| !r.is_span && r.name == name)
        .collect()
}

/// The one span of the task named `name`.
fn task_span<'a>(records: &'a [Record], name: &str) -> &'a Record {
    let spans: Vec<_> = records
        .iter()
        .filter(|r| r.is_span && r.field("task.name") == Some(name))
        .collect();
    assert_eq!(spans.len(), 1, "one span for {name}: {records:#?}");
    spans[0]
}

#[test]
fn local_executor_spans_and_events() {
    let recorder = Recorder::default();
    let subscriber = Registry::default().with(recorder.clone());
    let line = tracing::subscriber::with_default(subscriber, || {
        let reactor = baton_reactor_epoll::EpollReactor::new().unwrap();
        let ex = LocalExecutor::builder()
            .reactor(reactor)
            // Every poll is slow: no timing in this test.
            .slow_poll_threshold(Duration::ZERO)
            .build()
            .unwrap();
        let line = line!() + 1;
        let options = SpawnOptions::here().with_name("traced-task");
        let task = ex
            .spawn_local_with(options, async { yield_now().await })
            .unwrap();
        ex.block_on(async {
            task.await.unwrap();
            // Nothing left to run: the executor parks until the timer.
            sleep(Duration::from_millis(1)).await.unwrap();
        })
        .unwrap();
        line
    });
    let records = recorder.records();
    let span = task_span(&records, "traced-task");
    assert_eq!(span.name, "task");
    assert_eq!(span.level, Level::TRACE);
    assert_eq!(span.target, "baton_executor::task");
    let id = span.field("task.id").expect("a task id").to_owned();
    let location = span.field("task.location").expect("a location");
    assert!(
        location.contains(&format!("tests/tracing.rs:{line}")),
        "{location}"
    );
    let span_id = span.span;

    let spawn = events(&records, "spawn");
    assert!(
        spawn.iter().any(
            |e| e.field("task.name") == Some("traced-task") && e.field("task.id") == Some(&*id)
        ),
        "{spawn:#?}"
    );
    // Two polls (before and after the yield), each inside the task's span.
    let in_span = |name: &str| {
        events(&records, name)
            .into_iter()
            .filter(|e| e.span == span_id)
            .count()
    };
    assert_eq!(in_span("poll"), 2, "{records:#?}");
    assert_eq!(in_span("poll done"), 2, "{records:#?}");
    // The yield woke the task: a wake event in its span.
    assert!(in_span("wake") >= 1, "{records:#?}");

    let slow: Vec<_> = events(&records, "slow poll")
        .into_iter()
        .filter(|e| e.field("task.name") == Some("traced-task"))
        .collect();
    assert_eq!(slow.len(), 2, "every poll is slow: {records:#?}");
    for e in &slow {
        assert_eq!(e.level, Level::WARN);
        assert_eq!(e.field("task.location"), Some(location));
        assert_eq!(e.field("poll.threshold"), Some("0ns"));
        assert!(e.field("poll.elapsed").is_some());
    }

    let parks = events(&records, "park");
    let unparks = events(&records, "unpark");
    assert!(!parks.is_empty() && !unparks.is_empty(), "{records:#?}");
    assert!(
        parks
            .iter()
            .all(|e| e.target == "baton_executor::worker" && e.field("worker") == Some("0"))
    );
    assert!(unparks.iter().all(|e| e.field("slept").is_some()));
}

/// The process-wide subscriber of the runtime test: its workers are other
/// threads, which a thread-local default would not reach.
fn global_recorder() -> &'static Recorder {
    static RECORDER: OnceLock<Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder = Recorder::default();
        tracing::subscriber::set_global_default(Registry::default().with(recorder.clone()))
            .expect("the only global subscriber of this test binary");
        recorder
    })
}

#[test]
fn runtime_reports_slow_polls_from_its_workers() {
    let recorder = global_recorder();
    let reactor = baton_reactor_epoll::EpollReactor::new().unwrap();
    let rt = Runtime::builder()
        .reactor(reactor)
        .workers(2)
        .thread_name("traced-rt")
        .slow_poll_threshold(Duration::ZERO)
        .build()
        .unwrap();
    let line = line!() + 1;
    let options = SpawnOptions::here().with_name("rt-slow-task");
    let task = rt
        .spawn_with(options, async {
            // A task that blocks its worker: the case slow polls are for.
            std::thread::sleep(Duration::from_millis(2));
        })
        .unwrap();
    rt.block_on(task).unwrap().unwrap();
    // The worker reports the poll when it returns, which may be just after
    // the task's output reached block_on: wait for it.
    let guard = std::time::Instant::now() + Duration::from_secs(60);
    while rt.metrics().slow_polls == 0 {
        assert!(std::time::Instant::now() < guard, "no slow poll reported");
        std::thread::yield_now();
    }
    assert_eq!(rt.metrics().slow_polls, 1);
    let records = recorder.records();
    let span = task_span(&records, "rt-slow-task");
    let slow: Vec<_> = events(&records, "slow poll")
        .into_iter()
        .filter(|e| e.field("task.name") == Some("rt-slow-task"))
        .collect();
    assert_eq!(slow.len(), 1, "{records:#?}");
    let warning = slow[0];
    assert_eq!(warning.level, Level::WARN);
    assert!(warning.thread.starts_with("traced-rt-"), "{warning:?}");
    assert_eq!(warning.field("task.id"), span.field("task.id"));
    let location = warning.field("task.location").unwrap();
    assert!(
        location.contains(&format!("tests/tracing.rs:{line}")),
        "{location}"
    );
    let polls: Vec<_> = events(&records, "poll")
        .into_iter()
        .filter(|e| e.span == span.span)
        .collect();
    assert_eq!(polls.len(), 1, "{records:#?}");
    assert!(polls[0].thread.starts_with("traced-rt-"));
}
