//! `tracing` output (the `tracing` feature): a span per task, events for
//! spawns, polls, wakes, parks and slow polls. Without the feature every
//! hook here is an empty inline function, so nothing is compiled in.
//!
//! | target | level | name or message | fields |
//! |---|---|---|---|
//! | `baton_executor::task` | TRACE | span `task` | `task.id`, `task.name`, `task.location`, `task.blocking` |
//! | `baton_executor::task` | TRACE | `spawn` (in the spawner's span) | `task.id`, `task.name`, `task.location` |
//! | `baton_executor::task` | TRACE | `wake` (in the task's span) | `task.id` |
//! | `baton_executor::task` | TRACE | `poll`, `poll done` (in the task's span) | `task.id`; `woke_itself` on `poll done` |
//! | `baton_executor::task` | WARN | `slow poll` | `task.id`, `task.name`, `task.location`, `poll.elapsed`, `poll.threshold` |
//! | `baton_executor::worker` | TRACE | `park`, `unpark` | `worker`; `slept` on `unpark` |
//!
//! Task spans have no parent (`parent: None`, as tokio's): a task outlives
//! the task that spawned it, and chains of spawns would otherwise nest
//! without end. The `spawn` event sits in the spawner's span instead.
//!
//! With the feature on and no subscriber interested, each hook costs a
//! load and a compare ([`tracing::enabled!`] against the global maximum
//! level), and a task keeps no span.

#[cfg(feature = "tracing")]
mod imp {
    use std::panic::Location;
    use std::time::Duration;

    use baton_protocol::task::TaskId;
    use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
    use tracing::{Level, Span};

    use crate::task::{Kind, Runnable, TaskInfo};

    const TASK: &str = "baton_executor::task";
    const WORKER: &str = "baton_executor::worker";

    /// Whether any subscriber may want TRACE output: a load and a compare
    /// (the check tracing's macros start with), made once per hook so that
    /// the rest of each hook stays out of line, off the hot path.
    #[inline(always)]
    fn on() -> bool {
        STATIC_MAX_LEVEL >= Level::TRACE && LevelFilter::current() >= Level::TRACE
    }

    /// A new task: the `spawn` event, and the task's span, `None` when no
    /// subscriber wants it (the task then stores nothing).
    #[inline]
    pub(crate) fn spawned(
        id: TaskId,
        name: Option<&str>,
        location: &'static Location<'static>,
        kind: Kind,
    ) -> Option<Span> {
        if on() {
            spawn_traced(id, name, location, kind)
        } else {
            None
        }
    }

    #[cold]
    #[inline(never)]
    fn spawn_traced(
        id: TaskId,
        name: Option<&str>,
        location: &'static Location<'static>,
        kind: Kind,
    ) -> Option<Span> {
        // In the spawner's span, where the task span has no parent.
        tracing::event!(
            target: TASK,
            Level::TRACE,
            task.id = id.get(),
            task.name = name,
            task.location = %location,
            "spawn"
        );
        let span = tracing::trace_span!(
            target: TASK,
            parent: None,
            "task",
            task.id = id.get(),
            task.name = name,
            task.location = %location,
            task.blocking = kind == Kind::Blocking,
        );
        (!span.is_disabled()).then_some(span)
    }

    /// A task was woken (queued to run).
    #[inline]
    pub(crate) fn woken(info: &TaskInfo) {
        if on() {
            wake_event(info);
        }
    }

    #[cold]
    #[inline(never)]
    fn wake_event(info: &TaskInfo) {
        let parent = info.span().and_then(Span::id);
        tracing::event!(
            target: TASK,
            parent: parent,
            Level::TRACE,
            task.id = info.id.get(),
            "wake"
        );
    }

    /// Polls `task` inside its span, between `poll` and `poll done`
    /// events.
    #[inline]
    pub(crate) fn run(task: Runnable) {
        if on() {
            run_traced(task);
        } else {
            task.run();
        }
    }

    #[inline(never)]
    fn run_traced(task: Runnable) {
        let info = task.metadata();
        // Cloned: the poll may free the task, and its span with it.
        let span = info.span().cloned();
        let id = info.id.get();
        let _entered = span.as_ref().map(Span::enter);
        tracing::event!(target: TASK, Level::TRACE, task.id = id, "poll");
        let woke_itself = task.run();
        tracing::event!(target: TASK, Level::TRACE, task.id = id, woke_itself, "poll done");
    }

    /// A poll took `elapsed`, at least the `threshold`.
    pub(crate) fn slow_poll(
        id: TaskId,
        name: Option<&str>,
        location: &'static Location<'static>,
        elapsed: Duration,
        threshold: Duration,
    ) {
        tracing::event!(
            target: TASK,
            Level::WARN,
            task.id = id.get(),
            task.name = name,
            task.location = %location,
            poll.elapsed = ?elapsed,
            poll.threshold = ?threshold,
            "slow poll"
        );
    }

    /// Worker `worker` goes to sleep.
    #[inline]
    pub(crate) fn parking(worker: usize) {
        tracing::event!(target: WORKER, Level::TRACE, worker, "park");
    }

    /// Worker `worker` woke up after `slept`.
    #[inline]
    pub(crate) fn unparked(worker: usize, slept: Duration) {
        tracing::event!(target: WORKER, Level::TRACE, worker, slept = ?slept, "unpark");
    }
}

#[cfg(not(feature = "tracing"))]
mod imp {
    use std::panic::Location;
    use std::time::Duration;

    use baton_protocol::task::TaskId;

    use crate::task::{Runnable, TaskInfo};

    #[inline(always)]
    pub(crate) fn woken(_: &TaskInfo) {}

    #[inline(always)]
    pub(crate) fn run(task: Runnable) {
        task.run();
    }

    #[inline(always)]
    pub(crate) fn slow_poll(
        _: TaskId,
        _: Option<&str>,
        _: &'static Location<'static>,
        _: Duration,
        _: Duration,
    ) {
    }

    #[inline(always)]
    pub(crate) fn parking(_: usize) {}

    #[inline(always)]
    pub(crate) fn unparked(_: usize, _: Duration) {}
}

pub(crate) use imp::*;
