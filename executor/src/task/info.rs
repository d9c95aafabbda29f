//! The record of one task: what its runnable, future, join handle and the
//! registry know about it.
//!
//! The record is the metadata of the task's async-task allocation (see
//! [`raw`](super::raw)), so every byte of it is paid by every task, and a
//! task that fits in 128 bytes of `malloc` stays in glibc's fast bins. It
//! keeps inline only what most tasks use: id, spawn location, executor,
//! registry slot and a few flags. The rest, the name and the last wait
//! report, is needed only by dumps, join handles and lost-waker reports of
//! tasks that have one; it lives in a [`Cold`] box, allocated when the task
//! is spawned with a name or first reports a wait (a task that never waits
//! on anything reportable, like most short-lived ones, never allocates it).

use std::panic::Location;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use baton_protocol::task::{SpawnOptions, TaskId};
use baton_protocol::wait::WaitFor;

use super::{Core, TaskState};
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
/// was refused (it is then dropped without ever being scheduled). `polled`
/// is written only by the thread polling the task, which async-task makes
/// one at a time.
pub(crate) struct TaskInfo {
    pub(crate) id: TaskId,
    pub(crate) location: &'static Location<'static>,
    pub(crate) core: Core,
    cold: OnceLock<Box<Cold>>,
    slot: AtomicU32,
    /// One of the `STATE_*` constants; written by the schedule function and
    /// the task future, read only by dumps.
    state: AtomicU8,
    /// Set by `abort` and by shutdown; read by the task future before each
    /// poll, so a cancelled task is never polled again.
    cancelled: AtomicBool,
    /// `LOST_REPORTED` and `WAIT_REPORTED`, written by the poller.
    polled: AtomicU8,
    /// `BLOCKING`, `CHECK_LOST` and `LOCAL`, fixed at spawn.
    traits: u8,
}

/// What a task has only if it is named or has waited on something (or is
/// timed, or traced).
#[derive(Default)]
struct Cold {
    name: Option<Arc<str>>,
    /// What the task waits on, as its last pending poll reported.
    wait: Mutex<Option<WaitFor>>,
    /// When the task was last woken or spawned ([`metrics::now_nanos`]),
    /// for the scheduled-to-run histogram; written only for `TIMED` tasks.
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
        timed: bool,
        #[cfg(feature = "tracing")] span: Option<tracing::Span>,
    ) -> OnceLock<Box<Cold>> {
        OnceLock::from(Box::new(Cold {
            name,
            wait: Mutex::new(None),
            scheduled_at: AtomicU64::new(if timed {
                crate::metrics::now_nanos()
            } else {
                0
            }),
            #[cfg(feature = "tracing")]
            span,
        }))
    }
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

/// A `spawn_blocking` job.
const BLOCKING: u8 = 1;
/// Polled under the lost-waker check.
const CHECK_LOST: u8 = 2;
/// Its future is not `Send`: polled and dropped only on its executor's
/// thread.
const LOCAL: u8 = 4;
/// Its executor keeps the scheduled-to-run histogram: wakes are stamped.
const TIMED: u8 = 8;

impl TaskInfo {
    pub(crate) fn new(
        id: TaskId,
        options: SpawnOptions,
        core: Core,
        kind: Kind,
        check_lost: bool,
        local: bool,
    ) -> TaskInfo {
        let timed = core.histograms();
        #[cfg(feature = "tracing")]
        let span = crate::trace::spawned(id, options.name.as_deref(), options.location, kind);
        #[cfg(feature = "tracing")]
        let traced = span.is_some();
        #[cfg(not(feature = "tracing"))]
        let traced = false;
        let cold = if options.name.is_some() || timed || traced {
            Cold::record(
                options.name,
                timed,
                #[cfg(feature = "tracing")]
                span,
            )
        } else {
            OnceLock::new()
        };
        let flag = |on: bool, flag: u8| if on { flag } else { 0 };
        let traits = flag(kind == Kind::Blocking, BLOCKING)
            | flag(check_lost, CHECK_LOST)
            | flag(local, LOCAL)
            | flag(timed, TIMED);
        TaskInfo {
            id,
            location: options.location,
            core,
            cold,
            slot: AtomicU32::new(NO_SLOT),
            state: AtomicU8::new(STATE_SCHEDULED),
            cancelled: AtomicBool::new(false),
            polled: AtomicU8::new(0),
            traits,
        }
    }

    /// The task's name, if it was spawned with one.
    pub(crate) fn name(&self) -> Option<&Arc<str>> {
        self.cold.get().and_then(|cold| cold.name.as_ref())
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
        if self.traits & TIMED != 0
            && let Some(cold) = self.cold.get()
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
        if self.traits & TIMED == 0 {
            return None;
        }
        let at = self.cold.get()?.scheduled_at.load(Ordering::Relaxed);
        (at != 0).then_some(at)
    }

    /// The task's span, if a subscriber wanted one when it was spawned.
    #[cfg(feature = "tracing")]
    pub(crate) fn span(&self) -> Option<&tracing::Span> {
        self.cold.get()?.span.as_ref()
    }

    /// Marks the task being polled.
    #[inline]
    pub(crate) fn set_running(&self) {
        self.state.store(STATE_RUNNING, Ordering::Relaxed);
    }

    /// Marks the task pending after a poll that reported `wait` (the wait
    /// kept for dumps). Called by the poller only.
    pub(crate) fn set_waiting(&self, wait: Option<WaitFor>) {
        let polled = self.polled.load(Ordering::Relaxed);
        if wait.is_some() || polled & WAIT_REPORTED != 0 {
            let cold = self.cold.get_or_init(Box::default);
            *cold.wait.lock().unwrap_or_else(PoisonError::into_inner) = wait;
            let polled = if wait.is_some() {
                polled | WAIT_REPORTED
            } else {
                polled & !WAIT_REPORTED
            };
            self.polled.store(polled, Ordering::Relaxed);
        }
        self.state.store(STATE_IDLE, Ordering::Relaxed);
    }

    pub(crate) fn state(&self) -> TaskState {
        match self.state.load(Ordering::Relaxed) {
            STATE_RUNNING => TaskState::Running,
            STATE_IDLE => TaskState::Waiting,
            _ => TaskState::Scheduled,
        }
    }

    /// What the last pending poll reported waiting on.
    pub(crate) fn wait(&self) -> Option<WaitFor> {
        let cold = self.cold.get()?;
        *cold.wait.lock().unwrap_or_else(PoisonError::into_inner)
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
