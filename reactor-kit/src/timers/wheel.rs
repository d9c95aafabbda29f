//! The hierarchical timing wheel: pending timers bucketed by tick, so that
//! insert and cancel cost O(1) whatever the number of timers.

use std::mem;
use std::time::{Duration, Instant};

use super::entry::{Entry, NIL, State};

/// Levels of 64 slots: level `l` slots span `64^l` ticks, so seven levels
/// cover `2^42` ticks, about 146 years.
pub(super) const LEVELS: usize = 7;

const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;

/// A tick is `2^20` ns (1.048576 ms): a shift, not a division, turns a
/// duration into ticks.
pub(super) const TICK_SHIFT: u32 = 20;

/// Timers by tick, in levels of 64 slots, as tokio's wheel; unlike tokio's,
/// it reports a slot (where the earliest timers are), never a deadline: the
/// table keeps exact deadlines and sorts a slot's timers in its near queue.
///
/// # Invariant
///
/// Every linked entry was linked for a tick after `elapsed` (its deadline's
/// tick, counted from `origin`, or an earlier one: see [`Entry`]) at level
/// `level_for(elapsed, tick)`, slot `(tick >> 6 * level) % 64`, as if
/// placed after `elapsed` last moved. So the occupied slots of level `l`
/// lie in `elapsed`'s block of `64^(l+1)` ticks past its block of `64^l`:
/// every slot of a lower level starts before every slot of a higher one,
/// within a level the lowest occupied slot comes first, and no entry's
/// deadline is before the start of its slot. Moving `elapsed` forward keeps
/// this true as long as no slot that starts at or before the new `elapsed`
/// is left unprocessed; moving it back is only done by rebuilding the
/// whole wheel.
#[derive(Debug)]
pub(super) struct Wheel {
    /// Tick 0; `None` until the wheel learns the clock, and re-set whenever
    /// the wheel is empty so that ticks stay small.
    origin: Option<Instant>,
    /// The wheel's position. May run ahead of `clock` (to the earliest
    /// pending tick) when the table looks for the next deadline.
    elapsed: u64,
    /// The latest tick the caller's clock was seen at; `elapsed >= clock`.
    clock: u64,
    /// Linked entries.
    len: usize,
    levels: [Level; LEVELS],
}

#[derive(Clone, Copy, Debug)]
struct Level {
    /// Bit `s` is set when slot `s` is non-empty.
    occupied: u64,
    /// The first entry of each slot's list.
    heads: [u32; SLOTS],
}

/// A wheel slot to process next.
#[derive(Clone, Copy, Debug)]
pub(super) struct Expiration {
    pub(super) level: usize,
    slot: usize,
    /// The slot's first tick: no linked timer is earlier.
    pub(super) start: u64,
}

/// The level at which `tick` goes when the wheel is at `elapsed`: the
/// highest 6-bit digit in which they differ (`>= LEVELS`: out of range).
fn level_for(elapsed: u64, tick: u64) -> usize {
    let masked = (elapsed ^ tick) | (SLOTS as u64 - 1);
    (63 - masked.leading_zeros()) as usize / SLOT_BITS as usize
}

impl Wheel {
    pub(super) fn new() -> Wheel {
        Wheel {
            origin: None,
            elapsed: 0,
            clock: 0,
            len: 0,
            levels: [Level {
                occupied: 0,
                heads: [NIL; SLOTS],
            }; LEVELS],
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    pub(super) fn clock(&self) -> u64 {
        self.clock
    }

    /// `t` in nanoseconds after the origin (0 for instants before it);
    /// `None` until the wheel has seen the clock, and for instants more
    /// than 584 years after the origin.
    pub(super) fn offset(&self, t: Instant) -> Option<u64> {
        let since = t.saturating_duration_since(self.origin?);
        since
            .as_secs()
            .checked_mul(1_000_000_000)?
            .checked_add(u64::from(since.subsec_nanos()))
    }

    /// The tick `t` falls in (0 before the origin, `u64::MAX` past the range
    /// of [`offset`](Wheel::offset)); `None` until the wheel has seen the
    /// clock.
    pub(super) fn tick(&self, t: Instant) -> Option<u64> {
        self.origin?;
        Some(self.offset(t).map_or(u64::MAX, |when| when >> TICK_SHIFT))
    }

    /// The instant tick `tick` starts at; `None` until the wheel has seen
    /// the clock, or past the range of `Instant`.
    pub(super) fn instant(&self, tick: u64) -> Option<Instant> {
        let nanos = tick.checked_mul(1 << TICK_SHIFT)?;
        self.origin?.checked_add(Duration::from_nanos(nanos))
    }

    /// Notes that the caller's clock reads `now`, and returns its tick. An
    /// empty wheel is re-anchored at `now` (tick 0).
    pub(super) fn observe(&mut self, now: Instant) -> u64 {
        if self.len == 0 {
            self.origin = Some(now);
            self.elapsed = 0;
            self.clock = 0;
            return 0;
        }
        let tick = self.tick(now).unwrap_or(0);
        self.clock = self.clock.max(tick);
        tick
    }

    /// Moves `elapsed` forward to `tick`, once no slot starts at or before
    /// it ([`next_expiration`](Wheel::next_expiration) is later).
    pub(super) fn advance(&mut self, tick: u64) {
        debug_assert!(self.next_expiration().is_none_or(|e| e.start > tick));
        self.elapsed = self.elapsed.max(tick);
    }

    /// Links entry `index` for the deadline `when` (an
    /// [`offset`](Wheel::offset)).
    ///
    /// # Return value
    ///
    /// `false`, leaving the entry alone, when `when`'s tick is not after
    /// `elapsed` or too far after it for the wheel: the caller keeps such a
    /// timer in its near queue.
    pub(super) fn link(&mut self, entries: &mut [Entry], index: u32, when: u64) -> bool {
        let tick = when >> TICK_SHIFT;
        if tick <= self.elapsed {
            return false;
        }
        let level = level_for(self.elapsed, tick);
        if level >= LEVELS {
            return false;
        }
        let slot = (tick >> (SLOT_BITS as usize * level)) as usize % SLOTS;
        let lvl = &mut self.levels[level];
        let head = mem::replace(&mut lvl.heads[slot], index);
        lvl.occupied |= 1 << slot;
        let entry = &mut entries[index as usize];
        entry.state = State::Wheel;
        entry.when = when;
        // Both fit a byte: `level < LEVELS`, `slot < 64`.
        entry.level = level as u8;
        entry.slot = slot as u8;
        entry.prev = NIL;
        entry.next = head;
        if head != NIL {
            entries[head as usize].prev = index;
        }
        self.len += 1;
        true
    }

    /// Unlinks entry `index`, which is linked (`state == Wheel`); the caller
    /// sets its new state.
    pub(super) fn unlink(&mut self, entries: &mut [Entry], index: u32) {
        let entry = &entries[index as usize];
        let (prev, next) = (entry.prev, entry.next);
        let (level, slot) = (usize::from(entry.level), usize::from(entry.slot));
        if prev == NIL {
            let lvl = &mut self.levels[level];
            lvl.heads[slot] = next;
            if next == NIL {
                lvl.occupied &= !(1 << slot);
            }
        } else {
            entries[prev as usize].next = next;
        }
        if next != NIL {
            entries[next as usize].prev = prev;
        }
        self.len -= 1;
    }

    /// The first slot to process: the lowest occupied slot of the lowest
    /// non-empty level (see the invariant). No linked timer's deadline is
    /// before its start.
    pub(super) fn next_expiration(&self) -> Option<Expiration> {
        let (level, lvl) = self
            .levels
            .iter()
            .enumerate()
            .find(|(_, lvl)| lvl.occupied != 0)?;
        let slot = lvl.occupied.trailing_zeros() as usize;
        let span = SLOT_BITS as usize * level;
        let block = span + SLOT_BITS as usize;
        // `block <= 42`: no shift overflows.
        let start = ((self.elapsed >> block) << block) + ((slot as u64) << span);
        debug_assert!(start > self.elapsed);
        Some(Expiration { level, slot, start })
    }

    /// Moves `elapsed` to the start of `at`'s slot and re-places that slot's
    /// timers where their deadlines now put them: lower levels (higher ones
    /// for timers reset to a later deadline), or into `near` (the caller's
    /// near queue, given the exact deadline and whether `elapsed` reached
    /// the timer's tick: `false` for a timer beyond the wheel's range).
    pub(super) fn cascade(
        &mut self,
        entries: &mut [Entry],
        at: Expiration,
        near: &mut impl FnMut(&mut [Entry], u32, Instant, bool),
    ) {
        self.elapsed = self.elapsed.max(at.start);
        let lvl = &mut self.levels[at.level];
        let head = mem::replace(&mut lvl.heads[at.slot], NIL);
        lvl.occupied &= !(1 << at.slot);
        self.relink_chain(entries, head, near);
    }

    /// Moves `elapsed` back to the clock and places every linked timer again
    /// from there (out of range ones into `near`, as for a cascade): so that timers inserted
    /// between the clock and an `elapsed` that ran ahead go to the wheel
    /// again instead of the near queue. O(linked timers).
    pub(super) fn rebase(
        &mut self,
        entries: &mut [Entry],
        near: &mut impl FnMut(&mut [Entry], u32, Instant, bool),
    ) {
        self.elapsed = self.clock;
        if self.len == 0 {
            return;
        }
        let mut chains = Vec::new();
        for lvl in &mut self.levels {
            while lvl.occupied != 0 {
                let slot = lvl.occupied.trailing_zeros() as usize;
                lvl.occupied &= !(1 << slot);
                chains.push(mem::replace(&mut lvl.heads[slot], NIL));
            }
        }
        for head in chains {
            self.relink_chain(entries, head, near);
        }
    }

    /// Places again every entry of the detached list starting at `head`.
    fn relink_chain(
        &mut self,
        entries: &mut [Entry],
        mut index: u32,
        near: &mut impl FnMut(&mut [Entry], u32, Instant, bool),
    ) {
        // Only an anchored wheel links entries.
        let Some(origin) = self.origin else {
            debug_assert_eq!(index, NIL);
            return;
        };
        while index != NIL {
            let entry = &entries[index as usize];
            let (next, when) = (entry.next, entry.when);
            self.len -= 1;
            if !self.link(entries, index, when) {
                let reached = when >> TICK_SHIFT <= self.elapsed;
                near(entries, index, origin + Duration::from_nanos(when), reached);
            }
            index = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_highest_differing_digit() {
        assert_eq!(level_for(0, 1), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(60, 70), 1);
        assert_eq!(level_for(64, 127), 0);
        assert_eq!(level_for(0, (1 << 12) - 1), 1);
        assert_eq!(level_for(0, 1 << 12), 2);
        assert_eq!(level_for(0, (1 << 42) - 1), LEVELS - 1);
        assert_eq!(level_for(0, 1 << 42), LEVELS);
        assert_eq!(level_for(0, u64::MAX), 10);
    }
}
