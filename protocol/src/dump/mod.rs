//! Task dumps: every live task of a runtime, and what each one waits on.
//!
//! Go prints every goroutine with its wait reason on `SIGQUIT` ("chan
//! receive", "IO wait", "sleep"); the JVM prints every thread. A baton
//! executor knows the same about its tasks, because leaf futures report what
//! they wait on (the design note's `yield self`, see [`wait`](crate::wait)).
//! This module is that knowledge as data any backend fills in and any tool
//! reads:
//!
//! - [`Dump`]: a snapshot of the tasks of one runtime, from
//!   [`Handle::dump`](crate::Handle::dump) (any thread, any task) or
//!   [`task::dump`](crate::task::dump) (the runtime entered on this thread);
//! - [`TaskDump`]: one task: id, name, spawn location, parent, state and for
//!   how long, what it waits on, poll count and time in polls;
//! - `Display` renders the text: one line per task, identical waits of many
//!   tasks grouped into one line (as Go's goroutine summaries do), and wait
//!   cycles between tasks named as deadlocks;
//! - [`Handle::dump_on_signal`](crate::Handle::dump_on_signal): prints a
//!   dump on `SIGQUIT` or `SIGUSR1` and keeps running (Unix).
//!
//! Deadlines are shown relative to the moment of the dump, in words that
//! cannot be mistaken for a hang: "a timer that fires in 3 ms", or "a timer
//! overdue by 52 ms (the runtime is behind: due, not yet fired)".
//!
//! # Examples
//!
//! ```
//! use baton_protocol::Error;
//!
//! /// From any task: the tasks of the runtime it runs on, as data and text.
//! async fn why_so_slow() -> Result<(), Error> {
//!     let dump = baton_protocol::task::dump()?;
//!     for task in &dump.tasks {
//!         if task.name.as_deref() == Some("conn-handler") {
//!             eprintln!("{task}");
//!         }
//!     }
//!     eprint!("{dump}");
//!     Ok(())
//! }
//!
//! // Outside every runtime there is nothing to dump: an error value.
//! assert!(matches!(baton_protocol::task::dump(), Err(Error::NoRuntime)));
//! # let _ = why_so_slow;
//! ```

mod render;
#[cfg(unix)]
mod signal;

use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::task::TaskId;
use crate::wait::WaitFor;

pub(crate) use self::render::Human;
#[cfg(unix)]
pub use self::signal::{DumpOnSignal, DumpSignal};

/// What a task is doing at the moment of a dump.
///
/// # Examples
///
/// ```
/// use baton_protocol::dump::TaskState;
///
/// assert_eq!(TaskState::Scheduled.to_string(), "runnable");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Runnable: woken (or just spawned) and queued, not yet polled again.
    Scheduled,
    /// Being polled (or, for a blocking job, running).
    Running,
    /// Pending, waiting to be woken.
    Waiting,
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TaskState::Scheduled => "runnable",
            TaskState::Running => "running",
            TaskState::Waiting => "waiting",
        })
    }
}

/// Whether a task that returned `Pending` kept its waker (cloned or stored
/// it, or woke it), as the executor's lost-waker check saw on its last
/// poll.
///
/// # Examples
///
/// ```
/// use baton_protocol::dump::WakerKept;
///
/// assert_ne!(WakerKept::Yes, WakerKept::Unknown);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WakerKept {
    /// Something kept (or used) the waker, so a wake can still come.
    Yes,
    /// Nothing kept it: nothing can ever wake the task (a lost waker).
    No,
    /// Not checked: the executor's lost-waker check is off.
    Unknown,
}

/// One task in a [`Dump`].
///
/// Its `Display` is one line, as in
/// `task 7 (conn-handler, spawned at src/server.rs:41 by task 1) waits for
/// fd 9 readable [waiting 2.3 s; polled 4 times, 120 µs in polls]`.
///
/// Executors build it with [`TaskDump::new`] and the setters; readers use
/// the fields.
///
/// # Examples
///
/// ```
/// use std::panic::Location;
/// use std::time::{Duration, Instant};
/// use baton_protocol::dump::{TaskDump, TaskState};
/// use baton_protocol::task::TaskId;
/// use baton_protocol::wait::WaitFor;
///
/// let now = Instant::now();
/// let id = TaskId::new(7).unwrap();
/// let task = TaskDump::new(id, Location::caller(), TaskState::Waiting, now)
///     .name(Some("conn-handler".into()))
///     .waits_for(Some(WaitFor::Deadline(now + Duration::from_millis(3))));
/// let line = task.to_string();
/// assert!(line.starts_with("task 7 (conn-handler, spawned at "), "{line}");
/// assert!(line.contains("waits for a timer that fires in 3 ms"), "{line}");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskDump {
    /// The task's id.
    pub id: TaskId,
    /// The task's name, if it was given one.
    pub name: Option<Arc<str>>,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
    /// The task it was spawned from, if it was spawned from a task of the
    /// same runtime.
    pub parent: Option<TaskId>,
    /// What it is doing.
    pub state: TaskState,
    /// How long it has been in `state`: since its last poll ended (waiting,
    /// and runnable: then an upper bound on how long it has been queued), or
    /// since its current poll began (running). `None` when the executor does
    /// not measure it.
    pub since: Option<Duration>,
    /// What its last pending poll reported waiting on (through
    /// [`wait`](crate::wait)); `None` if nothing was reported.
    pub waits_for: Option<WaitFor>,
    /// Whether its last pending poll kept its waker.
    pub waker_kept: WakerKept,
    /// Polls that returned `Pending` so far (the current one, if it is
    /// running, not included).
    pub polls: u64,
    /// Total time spent in those polls; `None` when the executor does not
    /// measure it.
    pub poll_time: Option<Duration>,
    /// Whether it is a `spawn_blocking` job rather than a future.
    pub blocking: bool,
    /// The reactor's clock when the dump was taken: what a deadline in
    /// `waits_for` is measured against.
    pub taken_at: Instant,
}

impl TaskDump {
    /// A task `id`, spawned at `location`, in `state` when the dump was taken
    /// at `taken_at` (an instant of the reactor's clock). Every other field
    /// starts empty: no name, no parent, no wait, no durations, no polls,
    /// waker kept [`Unknown`](WakerKept::Unknown). For executor authors,
    /// with the setters below.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::panic::Location;
    /// use std::time::{Duration, Instant};
    /// use baton_protocol::dump::{TaskDump, TaskState, WakerKept};
    /// use baton_protocol::task::TaskId;
    ///
    /// let id = |n| TaskId::new(n).unwrap();
    /// let task = TaskDump::new(id(4), Location::caller(), TaskState::Waiting, Instant::now())
    ///     .name(Some("consumer".into()))
    ///     .parent(Some(id(1)))
    ///     .since(Some(Duration::from_secs(2)))
    ///     .waker_kept(WakerKept::Yes)
    ///     .polls(3, Some(Duration::from_micros(40)))
    ///     .blocking(false);
    /// let line = task.to_string();
    /// assert!(line.contains(" by task 1) waits on something that reports no wait"), "{line}");
    /// assert!(line.ends_with("[waiting 2.0 s; polled 3 times, 40 µs in polls]"), "{line}");
    /// ```
    pub fn new(
        id: TaskId,
        location: &'static Location<'static>,
        state: TaskState,
        taken_at: Instant,
    ) -> TaskDump {
        TaskDump {
            id,
            name: None,
            location,
            parent: None,
            state,
            since: None,
            waits_for: None,
            waker_kept: WakerKept::Unknown,
            polls: 0,
            poll_time: None,
            blocking: false,
            taken_at,
        }
    }

    /// Sets the task's name.
    pub fn name(mut self, name: Option<Arc<str>>) -> TaskDump {
        self.name = name;
        self
    }

    /// Sets the task it was spawned from.
    pub fn parent(mut self, parent: Option<TaskId>) -> TaskDump {
        self.parent = parent;
        self
    }

    /// Sets how long it has been in its state.
    pub fn since(mut self, since: Option<Duration>) -> TaskDump {
        self.since = since;
        self
    }

    /// Sets what it waits on.
    pub fn waits_for(mut self, wait: Option<WaitFor>) -> TaskDump {
        self.waits_for = wait;
        self
    }

    /// Sets whether its last pending poll kept its waker.
    pub fn waker_kept(mut self, kept: WakerKept) -> TaskDump {
        self.waker_kept = kept;
        self
    }

    /// Sets its poll count and, if measured, the time spent in those polls.
    pub fn polls(mut self, polls: u64, poll_time: Option<Duration>) -> TaskDump {
        self.polls = polls;
        self.poll_time = poll_time;
        self
    }

    /// Marks it a `spawn_blocking` job.
    pub fn blocking(mut self, blocking: bool) -> TaskDump {
        self.blocking = blocking;
        self
    }
}

/// A snapshot of every live task (future not yet dropped) of a runtime;
/// see [`Handle::dump`](crate::Handle::dump).
///
/// Taken without stopping the runtime: each task is read once, while the
/// others run on, so two tasks of one dump may be a few events apart.
///
/// Its `Display` starts with a header line, then one line per task (ordered
/// by id); a run of more than [`Dump::GROUP_AT`] tasks spawned at one
/// place, in one state, waiting on the same kind of thing is summed up in
/// one line, as Go's goroutine dump summaries do; tasks that wait for each
/// other to finish are named as a deadlock at the end. The alternate form
/// (`{:#}`) lists every task on its own line, ungrouped.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
/// use baton_protocol::dump::Dump;
///
/// let dump = Dump::new(Instant::now());
/// assert!(dump.tasks.is_empty());
/// assert_eq!(dump.to_string(), "baton task dump: 0 tasks\n");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Dump {
    /// The tasks, ordered by id.
    pub tasks: Vec<TaskDump>,
    /// The reactor's clock when the dump was taken.
    pub taken_at: Instant,
    /// The runtime was shutting down: the tasks listed are being dropped.
    pub shutting_down: bool,
    /// Whether the executor measured durations (`since`, `poll_time`).
    pub timed: bool,
}

impl Dump {
    /// A group of tasks larger than this, identical but for their ids, is
    /// rendered as one line.
    pub const GROUP_AT: usize = 8;

    /// An empty dump taken at `taken_at`, an instant of the reactor's clock.
    /// For executor authors: push [`TaskDump`]s into `tasks`, then
    /// [`sorted`](Dump::sorted).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::panic::Location;
    /// use std::time::Instant;
    /// use baton_protocol::dump::{Dump, TaskDump, TaskState};
    /// use baton_protocol::task::TaskId;
    ///
    /// let now = Instant::now();
    /// let task = |n| TaskDump::new(TaskId::new(n).unwrap(), Location::caller(), TaskState::Running, now);
    /// let mut dump = Dump::new(now).shutting_down(true).timed(false);
    /// dump.tasks.extend([task(9), task(2)]);
    /// let dump = dump.sorted();
    /// assert_eq!(dump.tasks[0].id.get(), 2);
    /// assert!(dump.task(TaskId::new(9).unwrap()).is_some());
    /// assert!(dump.to_string().contains("the runtime is shutting down"));
    /// ```
    pub fn new(taken_at: Instant) -> Dump {
        Dump {
            tasks: Vec::new(),
            taken_at,
            shutting_down: false,
            timed: false,
        }
    }

    /// Marks the dump as taken while the runtime shuts down.
    pub fn shutting_down(mut self, shutting_down: bool) -> Dump {
        self.shutting_down = shutting_down;
        self
    }

    /// Says whether the executor measured durations.
    pub fn timed(mut self, timed: bool) -> Dump {
        self.timed = timed;
        self
    }

    /// Orders the tasks by id.
    pub fn sorted(mut self) -> Dump {
        self.tasks.sort_by_key(|t| t.id);
        self
    }

    /// The task `id`, if it is in the dump.
    pub fn task(&self, id: TaskId) -> Option<&TaskDump> {
        self.tasks
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|at| &self.tasks[at])
            .or_else(|| self.tasks.iter().find(|t| t.id == id))
    }

    /// The cycles of tasks that each wait for the next to finish (the last
    /// for the first): deadlocks that no wake from outside can end. Each
    /// cycle is listed once, starting at its smallest id.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::panic::Location;
    /// use std::time::Instant;
    /// use baton_protocol::dump::{Dump, TaskDump, TaskState};
    /// use baton_protocol::task::TaskId;
    /// use baton_protocol::wait::WaitFor;
    ///
    /// let now = Instant::now();
    /// let (a, b) = (TaskId::new(1).unwrap(), TaskId::new(2).unwrap());
    /// let waiting = |id, on| {
    ///     TaskDump::new(id, Location::caller(), TaskState::Waiting, now)
    ///         .waits_for(Some(WaitFor::Task(on)))
    /// };
    /// let mut dump = Dump::new(now);
    /// dump.tasks = vec![waiting(a, b), waiting(b, a)];
    /// assert_eq!(dump.wait_cycles(), vec![vec![a, b]]);
    /// ```
    pub fn wait_cycles(&self) -> Vec<Vec<TaskId>> {
        render::wait_cycles(self)
    }
}
