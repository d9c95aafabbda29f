//! What [`Chaos`](super::Chaos) injected: one [`Fault`] per decision, and
//! running totals.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use baton_protocol::Direction;
use baton_protocol::reactor::{IoFault, SourceKey};

/// One fault [`Chaos`](super::Chaos) injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `poll_ready` found the direction not ready and stored the waker as
    /// usual; the waker is also woken at the next turn, although nothing
    /// happened (its next `poll_ready` is `Pending` again).
    SpuriousWake {
        /// The source.
        key: SourceKey,
        /// The direction polled.
        dir: Direction,
    },
    /// `poll_ready` found the direction ready but answered `Pending`; the
    /// waker is woken at the next turn, when the readiness is reported.
    DelayedReady {
        /// The source.
        key: SourceKey,
        /// The direction polled.
        dir: Direction,
    },
    /// `park` returned an empty turn at once, as after `EINTR`, without
    /// waiting or firing timers.
    EmptyTurn,
    /// This turn waits up to `by` past the next deadline and fires only the
    /// timers due when it began or `by` ago; the others wait for a later
    /// turn (never early: `by` is at most the inner reactor's resolution).
    LateTimers {
        /// How late timers may fire on this turn.
        by: Duration,
    },
    /// The fault point imposed this outcome on one I/O operation.
    Io {
        /// The source.
        key: SourceKey,
        /// The operation's direction.
        dir: Direction,
        /// What the operation was made to return.
        fault: IoFault,
    },
}

/// How many faults of each kind [`Chaos`](super::Chaos) injected so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultCounts {
    /// [`Fault::SpuriousWake`]s.
    pub spurious_wakes: u64,
    /// [`Fault::DelayedReady`]s.
    pub delayed_readiness: u64,
    /// [`Fault::EmptyTurn`]s.
    pub empty_turns: u64,
    /// [`Fault::LateTimers`] turns.
    pub late_turns: u64,
    /// Injected `WouldBlock`s.
    pub would_blocks: u64,
    /// Injected `Interrupted`s.
    pub interrupts: u64,
    /// Injected short reads and writes.
    pub short_io: u64,
}

impl FaultCounts {
    /// All faults, of every kind.
    pub fn total(&self) -> u64 {
        self.spurious_wakes
            + self.delayed_readiness
            + self.empty_turns
            + self.late_turns
            + self.would_blocks
            + self.interrupts
            + self.short_io
    }
}

/// The running totals, one atomic per kind.
#[derive(Debug, Default)]
pub(super) struct Counters {
    counts: [AtomicU64; 7],
}

impl Counters {
    pub(super) fn add(&self, fault: &Fault) {
        let slot = match fault {
            Fault::SpuriousWake { .. } => 0,
            Fault::DelayedReady { .. } => 1,
            Fault::EmptyTurn => 2,
            Fault::LateTimers { .. } => 3,
            Fault::Io {
                fault: IoFault::WouldBlock,
                ..
            } => 4,
            Fault::Io {
                fault: IoFault::Interrupted,
                ..
            } => 5,
            Fault::Io { .. } => 6,
        };
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> FaultCounts {
        let [a, b, c, d, e, f, g] = self.counts.each_ref().map(|n| n.load(Ordering::Relaxed));
        FaultCounts {
            spurious_wakes: a,
            delayed_readiness: b,
            empty_turns: c,
            late_turns: d,
            would_blocks: e,
            interrupts: f,
            short_io: g,
        }
    }
}
