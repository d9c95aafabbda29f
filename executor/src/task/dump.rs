//! Task dumps: every live task, and what it waits on.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Instant;

use baton_protocol::task::TaskId;
use baton_protocol::wait::WaitFor;

/// What a task is doing at the moment of a dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskState {
    /// Queued to run.
    Scheduled,
    /// Being polled (or, for a blocking job, running).
    Running,
    /// Pending, waiting to be woken.
    Waiting,
}

/// One task in a [`Dump`].
///
/// Its `Display` is one line, as in
/// `task 7 (conn-handler, spawned at src/server.rs:41) waits for fd 9 readable`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskDump {
    /// The task's id.
    pub id: TaskId,
    /// The task's name, if it was given one.
    pub name: Option<Arc<str>>,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
    /// What it is doing.
    pub state: TaskState,
    /// What its last pending poll reported waiting on (through
    /// [`baton_protocol::wait`]); `None` if nothing was reported.
    pub waits_for: Option<WaitFor>,
    /// Whether it is a `spawn_blocking` job rather than a future.
    pub blocking: bool,
    /// The reactor's clock when the dump was taken: what a deadline in
    /// `waits_for` is measured against.
    pub taken_at: Instant,
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (", self.id)?;
        if let Some(name) = &self.name {
            write!(f, "{name}, ")?;
        }
        if self.blocking {
            f.write_str("blocking job, ")?;
        }
        write!(
            f,
            "spawned at {}:{}) ",
            self.location.file(),
            self.location.line()
        )?;
        match (self.state, &self.waits_for) {
            (TaskState::Scheduled, _) => f.write_str("is scheduled to run"),
            (TaskState::Running, _) => f.write_str("is running"),
            (TaskState::Waiting, Some(wait)) => write!(f, "waits for {}", wait.at(self.taken_at)),
            (TaskState::Waiting, None) => f.write_str("waits (no wait reported)"),
        }
    }
}

/// A snapshot of every live task of an executor, by id; see
/// [`Runtime::dump`](crate::Runtime::dump).
///
/// Its `Display` is one [`TaskDump`] line per task.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Dump {
    /// The tasks, ordered by id.
    pub tasks: Vec<TaskDump>,
    /// The reactor's clock when the dump was taken.
    pub taken_at: Instant,
}

impl Dump {
    /// An empty dump taken at `now`, an instant of the reactor's clock.
    pub(crate) fn new(now: Instant) -> Dump {
        Dump {
            tasks: Vec::new(),
            taken_at: now,
        }
    }

    pub(crate) fn sort(mut self) -> Dump {
        self.tasks.sort_by_key(|t| t.id);
        self
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for task in &self.tasks {
            writeln!(f, "{task}")?;
        }
        Ok(())
    }
}
