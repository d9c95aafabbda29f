//! The near queue: the timers about to fire, in exact deadline order.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::mem;
use std::time::Instant;

use super::entry::{Entry, State};

/// A queue this much larger than its live items (plus [`COMPACT_SLACK`])
/// is rebuilt without its stale ones.
const COMPACT_FACTOR: usize = 2;

/// Small queues are never compacted: rebuilding them costs more than the
/// stale items do.
pub(super) const COMPACT_SLACK: usize = 1024;

/// The timers of the wheel slots reached so far, plus those the wheel
/// cannot hold (ticks already reached, beyond its range, or inserted before
/// the table saw a clock), ordered by `(deadline, seq)` with lazy deletion.
/// Firing and the next deadline read it; the wheel only decides when a
/// timer enters it.
///
/// Two parts, the earliest head of either comes first:
///
/// - **the run**: what the wheel's cascades bring, sorted a slot at a time
///   and appended. Each cascade reaches a later tick than the one before,
///   so appending keeps the run sorted; popping it costs O(1), and sorting
///   a slot's timers at once costs less than pushing each into a heap.
/// - **the heap**: a binary heap for the rest (a timer inserted for a tick
///   already reached, or a cascade that would not land after the run).
#[derive(Debug, Default)]
pub(super) struct Near {
    run: VecDeque<Item>,
    heap: BinaryHeap<Item>,
    /// The timers of the cascade in progress, sorted and appended to the
    /// run by [`commit`](Near::commit).
    batch: Vec<Item>,
    /// Entries whose state is `Near`.
    live: usize,
}

/// A queued timer; stale once its entry is no longer `Near` with this `seq`.
#[derive(Debug)]
struct Item {
    deadline: Instant,
    seq: u64,
    index: u32,
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}

impl Eq for Item {}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Item {
    /// Reversed, so the `BinaryHeap` (a max-heap) pops the earliest deadline,
    /// and among equal deadlines the lowest sequence number.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

impl Item {
    fn new(entries: &mut [Entry], index: u32, deadline: Instant) -> Item {
        let entry = &mut entries[index as usize];
        entry.state = State::Near;
        Item {
            deadline,
            seq: entry.seq,
            index,
        }
    }

    fn is_live(&self, entries: &[Entry]) -> bool {
        let entry = &entries[self.index as usize];
        entry.state == State::Near && entry.seq == self.seq
    }
}

/// Which part holds the earliest live item.
enum Head {
    Run,
    Heap,
}

impl Near {
    /// Items held, stale ones included.
    #[cfg(test)]
    pub(super) fn items(&self) -> usize {
        self.run.len() + self.heap.len()
    }

    /// Entries whose state is `Near`.
    #[cfg(test)]
    pub(super) fn live(&self) -> usize {
        self.live
    }

    /// Adds entry `index` under `deadline` and its current `seq`, to the
    /// heap.
    pub(super) fn push(&mut self, entries: &mut [Entry], index: u32, deadline: Instant) {
        self.heap.push(Item::new(entries, index, deadline));
        self.live += 1;
    }

    /// Adds entry `index`, brought by the cascade in progress, to the batch
    /// that [`commit`](Near::commit) files.
    pub(super) fn stage(&mut self, entries: &mut [Entry], index: u32, deadline: Instant) {
        self.batch.push(Item::new(entries, index, deadline));
        self.live += 1;
    }

    /// Files the batch of the cascade that just ended: sorted onto the end
    /// of the run if it comes after it (it does unless the wheel was rebuilt
    /// behind its last cascade), else into the heap.
    pub(super) fn commit(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        self.batch.sort_unstable_by(|a, b| b.cmp(a));
        let after_run = self.run.back().is_none_or(|last| *last > self.batch[0]);
        if after_run {
            self.run.extend(self.batch.drain(..));
        } else {
            self.heap.extend(self.batch.drain(..));
        }
    }

    /// Notes that a `Near` entry just left (its state or `seq` changed): its
    /// item goes stale, and the queue is compacted once mostly stale.
    pub(super) fn forget(&mut self, entries: &[Entry]) {
        self.live -= 1;
        if self.run.len() + self.heap.len() > COMPACT_FACTOR * self.live + COMPACT_SLACK {
            self.run.retain(|item| item.is_live(entries));
            let mut items = mem::take(&mut self.heap).into_vec();
            items.retain(|item| item.is_live(entries));
            self.heap = BinaryHeap::from(items);
        }
    }

    /// Drops the stale items at both heads, and says which head comes
    /// first.
    fn head(&mut self, entries: &[Entry]) -> Option<Head> {
        while self.run.front().is_some_and(|item| !item.is_live(entries)) {
            self.run.pop_front();
        }
        while self.heap.peek().is_some_and(|item| !item.is_live(entries)) {
            self.heap.pop();
        }
        match (self.run.front(), self.heap.peek()) {
            (Some(run), Some(heap)) if heap > run => Some(Head::Heap),
            (Some(_), _) => Some(Head::Run),
            (None, Some(_)) => Some(Head::Heap),
            (None, None) => None,
        }
    }

    /// The earliest live deadline.
    pub(super) fn peek(&mut self, entries: &[Entry]) -> Option<Instant> {
        let item = match self.head(entries)? {
            Head::Run => self.run.front(),
            Head::Heap => self.heap.peek(),
        };
        item.map(|item| item.deadline)
    }

    /// Takes the earliest live entry if its deadline is at or before `now`;
    /// the caller gives it its new state.
    pub(super) fn pop_due(&mut self, entries: &[Entry], now: Instant) -> Option<u32> {
        let item = match self.head(entries)? {
            Head::Run if self.run.front()?.deadline <= now => self.run.pop_front(),
            Head::Heap if self.heap.peek()?.deadline <= now => self.heap.pop(),
            _ => None,
        }?;
        self.live -= 1;
        Some(item.index)
    }
}
