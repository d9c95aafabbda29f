//! One timer's record in the table, and the key that names it.

use std::task::Waker;

use baton_protocol::reactor::TimerKey;

/// "No entry": the end of a slot list or of the free list.
pub(super) const NIL: u32 = u32::MAX;

/// Where a timer is, which also says whether it is pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Unused; `next` links the free list.
    Free,
    /// Pending, linked into the wheel slot `(level, slot)`.
    Wheel,
    /// Pending, in the near queue under its current `seq`.
    Near,
    /// Fired and not yet cancelled or reset.
    Fired,
}

/// A timer: its waker, its place in the wheel, and there its exact
/// deadline (48 bytes).
///
/// # Invariant
///
/// - `state == Wheel`: the entry is in the doubly linked list of wheel slot
///   `(level, slot)` through `prev` / `next` ([`NIL`] at either end), and
///   `when` is its deadline. The slot covers `when`'s tick, or an earlier
///   one if the timer was reset to a later deadline since it was linked
///   (as tokio does, a later reset leaves the entry where it is: the wheel
///   moves it on when it reaches the slot).
/// - `state == Near`: the near queue holds an item `(deadline, seq, index)`
///   for it; items with another `seq` are stale. `when` is meaningless.
/// - `state == Free`: `next` is the next free entry; `waker` is `None`.
/// - `state == Fired`: `waker` is `None` (it was taken to be woken).
#[derive(Debug)]
pub(super) struct Entry {
    /// While in the wheel, the exact deadline in nanoseconds after the
    /// wheel's origin: 8 bytes instead of an `Instant`'s 16, and a shift
    /// away from its tick.
    pub(super) when: u64,
    pub(super) waker: Option<Waker>,
    /// Taken from the table's counter at insert and reset: orders equal
    /// deadlines, and tells a live near-queue item from a stale one.
    pub(super) seq: u64,
    pub(super) prev: u32,
    pub(super) next: u32,
    /// Bumped each time the entry is freed, so old keys stop matching.
    pub(super) generation: u32,
    pub(super) state: State,
    pub(super) level: u8,
    pub(super) slot: u8,
}

impl Entry {
    pub(super) fn is_pending(&self) -> bool {
        matches!(self.state, State::Wheel | State::Near)
    }
}

/// A key is the entry's index in the low 32 bits and its generation in the
/// high 32 bits. An entry whose generation reaches `u32::MAX` is retired,
/// never reused, so no key is ever handed out twice.
pub(super) fn key(index: u32, generation: u32) -> TimerKey {
    TimerKey::from_raw((u64::from(generation) << 32) | u64::from(index))
}

/// The entry index and generation of `key`.
pub(super) fn split(key: TimerKey) -> (u32, u32) {
    let raw = key.into_raw();
    // Truncation is the encoding: low half index, high half generation.
    (raw as u32, (raw >> 32) as u32)
}
