//! The record of one task: what its runnable, future, join handle and the
//! registry know about it.
//!
//! The record is the metadata of the task's async-task allocation (see
//! [`raw`](super::raw)), so every byte of it is paid by every task, and a
//! task that fits in 128 bytes of `malloc` stays in glibc's fast bins. It
//! keeps inline only what most tasks use: id, executor, registry slot, the
//! spawn location as a 32-bit number ([`site`]), the parent as a 32-bit
//! count of ids back, a few flags, and the last wait report with the
//! count of pending polls packed into the word that later points to the
//! cold record ([`report`]). The rest, the
//! name, poll times, and reports or counts that do not fit the word, is
//! needed only by dumps, join handles and lost-waker reports of tasks that
//! have one; it lives in a [`Cold`] box, allocated when the task is spawned
//! with a name, at its first poll with poll timing on, or when its report
//! or count outgrows the word (most tasks never allocate it).
//!
//! [`report`]: super::report
//! [`site`]: super::site

use std::panic::Location;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use baton_protocol::dump::{TaskDump, TaskState, WakerKept};
use baton_protocol::task::{SpawnOptions, TaskId};
use baton_protocol::wait::WaitFor;

use super::raw::PackedOrBox;
use super::report::{self, epoch};
use super::site;
use super::{Core, Instrument};
use crate::sync::AtomicBool;

/// How a task was started: by `spawn` (a future) or by `spawn_blocking`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Future,
    Blocking,
}

/// The record of one task.
///
/// # Invariant
///
/// `slot` is written once, under the registry shard's lock, before the task
/// is first scheduled; it is `NO_SLOT` only for a task whose registration
/// was refused (it is then dropped without ever being scheduled). `polled`,
/// and the counters of the cold record, are written only by the thread
/// polling the task, which async-task makes one at a time.
pub(crate) struct TaskInfo {
    pub(crate) id: TaskId,
    pub(crate) core: Core,
    /// The cold record once there is one; until then the last wait report
    /// and the count of pending polls, packed ([`report::pack`]). Written
    /// by the poller only (and at spawn); the cold record, once made,
    /// holds both.
    cold: PackedOrBox<Cold>,
    slot: AtomicU32,
    /// The spawn location's number ([`site`]).
    site: u32,
    /// How many ids before this task's its parent's is: the task of the
    /// same executor it was spawned from. 0: none, or one too far back for
    /// 32 bits, kept in the cold record.
    parent: u32,
    /// One of the `STATE_*` constants; written by the schedule function and
    /// the task future, read only by dumps.
    state: AtomicU8,
    /// Set by `abort` and by shutdown; read by the task future before each
    /// poll, so a cancelled task is never polled again.
    cancelled: AtomicBool,
    /// `LOST_REPORTED`, `WAIT_REPORTED`, `WAKER_CHECKED` and
    /// `WAKER_KEPT`, written by the poller.
    polled: AtomicU8,
    /// `BLOCKING`, `CHECK_LOST`, `LOCAL`, `TIMED` and `STAMPED`, fixed at
    /// spawn.
    traits: u8,
}

/// What a task has only if it is named, timed, stamped or traced, or its
/// wait report or poll count outgrew the record's word.
#[derive(Default)]
struct Cold {
    name: Option<Arc<str>>,
    /// The parent, when the record's delta cannot hold it.
    far_parent: Option<TaskId>,
    /// What the task waits on, as its last pending poll reported.
    wait: Mutex<Option<WaitFor>>,
    /// Polls that returned `Pending`.
    polls: AtomicU64,
    /// Nanoseconds spent in those polls (timed tasks only).
    poll_nanos: AtomicU64,
    /// When the task entered its state (timed tasks only): nanoseconds
    /// since [`epoch`], 0 before its first poll.
    since: AtomicU64,
    /// When the task was last woken or spawned ([`metrics::now_nanos`]),
    /// for the scheduled-to-run histogram; written only for `STAMPED` tasks.
    ///
    /// [`metrics::now_nanos`]: crate::metrics::now_nanos
    scheduled_at: AtomicU64,
    /// The task's span, if a subscriber wanted one when it was spawned.
    #[cfg(feature = "tracing")]
    span: Option<tracing::Span>,
}

impl Cold {
    /// The cold record of a task spawned with a name, a wake stamp or a
    /// span: out of line, so that spawning a task that has none stays
    /// short.
    #[inline(never)]
    fn record(
        name: Option<Arc<str>>,
        far_parent: Option<TaskId>,
        stamped: bool,
        #[cfg(feature = "tracing")] span: Option<tracing::Span>,
    ) -> PackedOrBox<Cold> {
        PackedOrBox::boxed(Box::new(Cold {
            name,
            far_parent,
            scheduled_at: AtomicU64::new(if stamped {
                crate::metrics::now_nanos()
            } else {
                0
            }),
            #[cfg(feature = "tracing")]
            span,
            ..Cold::default()
        }))
    }
}

/// When a poll began, if the task is timed: what [`TaskInfo::begin_poll`]
/// returns and [`TaskInfo::set_waiting`] takes back.
pub(crate) type PollStart = Option<Instant>;

/// `at` as nanoseconds since [`epoch`], never 0 (which means "unset").
fn nanos(at: Instant) -> u64 {
    let since = at.saturating_duration_since(epoch()).as_nanos();
    u64::try_from(since).unwrap_or(u64::MAX).max(1)
}

/// Adds `n` to a counter only the poller writes: a load and a store, no
/// read-modify-write.
fn add(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).saturating_add(n),
        Ordering::Relaxed,
    );
}

pub(crate) const NO_SLOT: u32 = u32::MAX;

const STATE_SCHEDULED: u8 = 0;
const STATE_RUNNING: u8 = 1;
const STATE_IDLE: u8 = 2;

/// The lost-waker check already reported this task.
const LOST_REPORTED: u8 = 1;
/// The cold record holds a wait report: a task that reports nothing, poll
/// after poll (a yield loop), takes no lock.
const WAIT_REPORTED: u8 = 2;
/// The lost-waker check saw the last pending poll.
const WAKER_CHECKED: u8 = 4;
/// ... and that poll kept (cloned, stored or woke) its waker.
const WAKER_KEPT: u8 = 8;

/// A `spawn_blocking` job.
const BLOCKING: u8 = 1;
/// Polled under the lost-waker check.
const CHECK_LOST: u8 = 2;
/// Its future is not `Send`: polled and dropped only on its executor's
/// thread.
const LOCAL: u8 = 4;
/// Its polls are timed.
const TIMED: u8 = 8;
/// Its executor keeps the scheduled-to-run histogram: wakes are stamped.
const STAMPED: u8 = 16;

impl TaskInfo {
    /// The record of task `id`, spawned from `parent` (a task of the same
    /// executor, so with an earlier id).
    ///
    /// Always inlined into the spawn functions: built out of line and
    /// copied, the record cost a spawn about 45 more instructions
    /// (callgrind, `baton-bench run baton-epoll-local spawn_inside`).
    #[inline(always)]
    pub(crate) fn new(
        id: TaskId,
        parent: Option<TaskId>,
        options: SpawnOptions,
        core: Core,
        (kind, instrument, local): (Kind, Instrument, bool),
    ) -> TaskInfo {
        let stamped = core.histograms();
        #[cfg(feature = "tracing")]
        let span = crate::trace::spawned(id, options.name.as_deref(), options.location, kind);
        #[cfg(feature = "tracing")]
        let traced = span.is_some();
        #[cfg(not(feature = "tracing"))]
        let traced = false;
        let (parent, far_parent) = match parent {
            None => (0, None),
            Some(parent) => match id
                .get()
                .checked_sub(parent.get())
                .and_then(|back| u32::try_from(back).ok())
            {
                Some(back) if back != 0 => (back, None),
                _ => (0, Some(parent)),
            },
        };
        let cold = if options.name.is_some() || far_parent.is_some() || stamped || traced {
            Cold::record(
                options.name,
                far_parent,
                stamped,
                #[cfg(feature = "tracing")]
                span,
            )
        } else {
            PackedOrBox::packed(0)
        };
        let flag = |on: bool, flag: u8| if on { flag } else { 0 };
        let traits = flag(kind == Kind::Blocking, BLOCKING)
            | flag(instrument.check_lost, CHECK_LOST)
            | flag(local, LOCAL)
            | flag(instrument.poll_timing, TIMED)
            | flag(stamped, STAMPED);
        TaskInfo {
            id,
            core,
            cold,
            slot: AtomicU32::new(NO_SLOT),
            site: site::number(options.location),
            parent,
            state: AtomicU8::new(STATE_SCHEDULED),
            cancelled: AtomicBool::new(false),
            polled: AtomicU8::new(0),
            traits,
        }
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        site::location(self.site)
    }

    /// The task of the same executor this one was spawned from, if any.
    pub(crate) fn parent(&self) -> Option<TaskId> {
        if self.parent != 0 {
            return TaskId::new(self.id.get() - u64::from(self.parent));
        }
        self.cold.get().ok().and_then(|cold| cold.far_parent)
    }

    /// The cold record, created if need be with what the word held. Called
    /// by the poller only, the word's only writer, so nothing written to
    /// the word is lost in the move.
    fn cold(&self) -> &Cold {
        self.cold.get_or_box(|word| {
            let (wait, polls) = report::unpack(word);
            if wait.is_some() {
                let polled = self.polled.load(Ordering::Relaxed);
                self.polled.store(polled | WAIT_REPORTED, Ordering::Relaxed);
            }
            Box::new(Cold {
                wait: Mutex::new(wait),
                polls: AtomicU64::new(polls),
                ..Cold::default()
            })
        })
    }

    /// The task's name, if it was spawned with one.
    pub(crate) fn name(&self) -> Option<&Arc<str>> {
        self.cold.get().ok().and_then(|cold| cold.name.as_ref())
    }

    pub(crate) fn kind(&self) -> Kind {
        if self.traits & BLOCKING != 0 {
            Kind::Blocking
        } else {
            Kind::Future
        }
    }

    pub(crate) fn check_lost(&self) -> bool {
        self.traits & CHECK_LOST != 0
    }

    pub(crate) fn is_local(&self) -> bool {
        self.traits & LOCAL != 0
    }

    pub(crate) fn slot(&self) -> u32 {
        self.slot.load(Ordering::Relaxed)
    }

    pub(crate) fn set_slot(&self, slot: u32) {
        self.slot.store(slot, Ordering::Relaxed);
    }

    /// Marks the task queued; the schedule functions call it.
    #[inline]
    pub(crate) fn set_scheduled(&self) {
        self.state.store(STATE_SCHEDULED, Ordering::Relaxed);
        if self.traits & STAMPED != 0
            && let Ok(cold) = self.cold.get()
        {
            // Read by the worker that pops the task: the queue's hand-off
            // orders this store before that load.
            cold.scheduled_at
                .store(crate::metrics::now_nanos(), Ordering::Relaxed);
        }
        crate::trace::woken(self);
    }

    /// When the task was last woken or spawned, if its executor keeps the
    /// scheduled-to-run histogram.
    #[inline]
    pub(crate) fn scheduled_at(&self) -> Option<u64> {
        if self.traits & STAMPED == 0 {
            return None;
        }
        let at = self.cold.get().ok()?.scheduled_at.load(Ordering::Relaxed);
        (at != 0).then_some(at)
    }

    /// The task's span, if a subscriber wanted one when it was spawned.
    #[cfg(feature = "tracing")]
    pub(crate) fn span(&self) -> Option<&tracing::Span> {
        self.cold.get().ok()?.span.as_ref()
    }

    /// Marks the task being polled; returns when the poll began if the
    /// task is timed (one clock read), for [`set_waiting`]. Called by the
    /// poller only, right before the poll.
    ///
    /// [`set_waiting`]: TaskInfo::set_waiting
    #[inline]
    pub(crate) fn begin_poll(&self) -> PollStart {
        if self.traits & TIMED == 0 {
            self.state.store(STATE_RUNNING, Ordering::Relaxed);
            return None;
        }
        let now = Instant::now();
        self.cold().since.store(nanos(now), Ordering::Relaxed);
        // Released after `since`: a dump that sees the state sees its start.
        self.state.store(STATE_RUNNING, Ordering::Release);
        Some(now)
    }

    /// Marks the task pending after a poll that began at `start` and
    /// reported `wait` (the wait kept for dumps); counts the poll, and its
    /// time if timed (one more clock read). Called by the poller only.
    pub(crate) fn set_waiting(&self, wait: Option<WaitFor>, start: PollStart) {
        if start.is_none()
            && self
                .cold
                .update_packed(|word| report::pack(wait, report::unpack(word).1 + 1))
        {
            // Released after the word, as below.
            self.state.store(STATE_IDLE, Ordering::Release);
            return;
        }
        let cold = self.cold();
        let polled = self.polled.load(Ordering::Relaxed);
        if wait.is_some() || polled & WAIT_REPORTED != 0 {
            *cold.wait.lock().unwrap_or_else(PoisonError::into_inner) = wait;
            let polled = if wait.is_some() {
                polled | WAIT_REPORTED
            } else {
                polled & !WAIT_REPORTED
            };
            self.polled.store(polled, Ordering::Relaxed);
        }
        add(&cold.polls, 1);
        if let Some(start) = start {
            let end = Instant::now();
            let spent = end.saturating_duration_since(start).as_nanos();
            add(&cold.poll_nanos, u64::try_from(spent).unwrap_or(u64::MAX));
            cold.since.store(nanos(end), Ordering::Relaxed);
        }
        // Released after the report and the counters: a dump that sees the
        // task waiting sees what it waits on and this poll counted.
        self.state.store(STATE_IDLE, Ordering::Release);
    }

    /// Records what the lost-waker check saw of the poll that just
    /// returned `Pending`: whether its waker was kept. Called by the poller
    /// only.
    pub(crate) fn note_waker(&self, kept: bool) {
        let polled = self.polled.load(Ordering::Relaxed) | WAKER_CHECKED;
        let polled = if kept {
            polled | WAKER_KEPT
        } else {
            polled & !WAKER_KEPT
        };
        self.polled.store(polled, Ordering::Relaxed);
    }

    pub(crate) fn state(&self) -> TaskState {
        match self.state.load(Ordering::Acquire) {
            STATE_RUNNING => TaskState::Running,
            STATE_IDLE => TaskState::Waiting,
            _ => TaskState::Scheduled,
        }
    }

    /// The task as a dump shows it; `taken_at` is the reactor's clock, `now`
    /// the real one (what poll times and state durations are measured on).
    /// Reads only, takes only the wait report's lock, never waits for a poll.
    pub(crate) fn snapshot(&self, taken_at: Instant, now: Instant) -> TaskDump {
        // The state first: what it was released with is read after it.
        let state = self.state();
        let polled = self.polled.load(Ordering::Relaxed);
        let waker = match (polled & WAKER_CHECKED != 0, polled & WAKER_KEPT != 0) {
            (false, _) => WakerKept::Unknown,
            (true, true) => WakerKept::Yes,
            (true, false) => WakerKept::No,
        };
        let timed = self.traits & TIMED != 0;
        let (wait, polls, poll_time, since) = match self.cold.get() {
            Ok(cold) => {
                let wait = *cold.wait.lock().unwrap_or_else(PoisonError::into_inner);
                let since = cold.since.load(Ordering::Relaxed);
                // A poll may end after `now` was read: then zero, not a
                // negative duration.
                let since = (timed && since != 0).then(|| {
                    now.saturating_duration_since(epoch())
                        .saturating_sub(Duration::from_nanos(since))
                });
                let poll_time =
                    timed.then(|| Duration::from_nanos(cold.poll_nanos.load(Ordering::Relaxed)));
                (wait, cold.polls.load(Ordering::Relaxed), poll_time, since)
            }
            Err(word) => {
                let (wait, polls) = report::unpack(word);
                (wait, polls, None, None)
            }
        };
        TaskDump::new(self.id, self.location(), state, taken_at)
            .name(self.name().cloned())
            .parent(self.parent())
            .waits_for(wait)
            .waker_kept(waker)
            .polls(polls, poll_time)
            .since(since)
            .blocking(self.kind() == Kind::Blocking)
    }

    /// Marks the task reported by the lost-waker check; returns whether it
    /// was already. Called by the poller only.
    pub(crate) fn mark_lost_reported(&self) -> bool {
        let polled = self.polled.load(Ordering::Relaxed);
        self.polled.store(polled | LOST_REPORTED, Ordering::Relaxed);
        polled & LOST_REPORTED != 0
    }

    /// Whether cancellation was requested.
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Marks the task cancelled without waking it (shutdown wakes it).
    pub(crate) fn set_cancelled(&self) {
        self.cancelled.store(true, Ordering::Release);
    }

    /// Requests cancellation and wakes the task so that it drops its future.
    /// Idempotent.
    pub(crate) fn cancel(&self) {
        if !self.cancelled.swap(true, Ordering::AcqRel) {
            self.core.tasks().wake(self);
        }
    }
}

impl Drop for TaskInfo {
    fn drop(&mut self) {
        // The task allocation is being freed (async-task drops the metadata
        // last): it no longer counts as alive.
        self.core.tasks().task_freed(self.id);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::{Duration, Instant};

    use baton_protocol::reactor::Direction;
    use baton_protocol::task::{SpawnOptions, TaskId};
    use baton_protocol::wait::WaitFor;

    use super::super::testing::{self, Registry};
    use super::super::{Core, Instrument};
    use super::{Kind, TaskInfo};

    fn record() -> TaskInfo {
        testing::record(&Registry::new())
    }

    /// What a dump shows: the report and the count of pending polls.
    fn shown(info: &TaskInfo) -> (Option<WaitFor>, u64) {
        let dump = info.snapshot(Instant::now(), Instant::now());
        (dump.waits_for, dump.polls)
    }

    #[test]
    fn parents_near_and_far_and_the_spawn_location() {
        let registry = Registry::new();
        let options = SpawnOptions::here();
        let spawned_at = options.location;
        let make = |id: u64, parent: Option<u64>| {
            let instrument = Instrument {
                check_lost: false,
                poll_timing: false,
            };
            TaskInfo::new(
                TaskId::new(id).unwrap(),
                parent.and_then(TaskId::new),
                options.clone(),
                Core::new(&registry),
                (Kind::Future, instrument, false),
            )
        };
        let near = make(10, Some(3));
        assert_eq!(near.parent(), TaskId::new(3));
        assert!(near.cold.get().is_err(), "a near parent allocates nothing");
        assert_eq!(near.location(), spawned_at);
        let dump = near.snapshot(Instant::now(), Instant::now());
        assert_eq!((dump.parent, dump.location), (TaskId::new(3), spawned_at));
        // More than 2^32 ids back: kept whole, in the cold record.
        let far = make(1 << 40, Some(1));
        assert_eq!(far.parent(), TaskId::new(1));
        assert!(far.cold.get().is_ok());
        assert_eq!(make(5, None).parent(), None);
        // Not earlier (one executor's counter never does this): kept whole.
        assert_eq!(make(5, Some(5)).parent(), TaskId::new(5));
        assert_eq!(make(5, Some(9)).parent(), TaskId::new(9));
    }

    #[test]
    fn common_reports_stay_in_the_record_until_the_count_outgrows_it() {
        let info = record();
        assert_eq!(shown(&info), (None, 0));
        let read = WaitFor::Io {
            fd: 5,
            dir: Direction::Read,
        };
        info.set_waiting(Some(read), None);
        assert_eq!(shown(&info), (Some(read), 1));
        info.set_waiting(None, None);
        assert_eq!(shown(&info), (None, 2));
        let at = WaitFor::Deadline(Instant::now() + Duration::from_millis(10));
        for polls in 3..=127 {
            info.set_waiting(Some(at), None);
            assert_eq!(shown(&info), (Some(at), polls));
        }
        assert!(info.cold.get().is_err(), "no second allocation yet");
        // The 128th pending poll moves the report and the count.
        info.set_waiting(Some(at), None);
        assert!(info.cold.get().is_ok());
        assert_eq!(shown(&info), (Some(at), 128));
        // The moved report is cleared by a poll that reports nothing.
        info.set_waiting(None, None);
        assert_eq!(shown(&info), (None, 129));
        info.set_waiting(Some(read), None);
        assert_eq!(shown(&info), (Some(read), 130));
    }

    #[test]
    fn a_report_that_does_not_fit_goes_to_the_cold_record_with_the_count() {
        let info = record();
        info.set_waiting(None, None);
        info.set_waiting(Some(WaitFor::Promise(3)), None);
        assert!(info.cold.get().is_err());
        let label = WaitFor::Label("a semaphore");
        info.set_waiting(Some(label), None);
        assert!(info.cold.get().is_ok());
        assert_eq!(shown(&info), (Some(label), 3));
        info.set_waiting(Some(WaitFor::Promise(4)), None);
        assert_eq!(shown(&info), (Some(WaitFor::Promise(4)), 4));
    }
}
