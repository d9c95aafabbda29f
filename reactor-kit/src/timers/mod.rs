//! The timer table: the timer half of the [`Reactor`](baton_protocol::Reactor)
//! contract, with no clock of its own.
//!
//! - `entry`: one timer's record and its key;
//! - `wheel`: the hierarchical timing wheel where pending timers wait;
//! - `near`: the queue of timers about to fire, in exact deadline order.

mod entry;
mod near;
mod wheel;

#[cfg(test)]
mod tests;

use std::mem;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use self::entry::{Entry, NIL, State, key, split};
use self::near::Near;
use self::wheel::{Expiration, TICK_SHIFT, Wheel};
use crate::sync::{Mutex, MutexGuard};
use baton_protocol::Error;
use baton_protocol::reactor::TimerKey;

/// Timers inserted behind a wheel that ran ahead of the clock, beyond the
/// number of timers in the wheel, before the wheel is rebuilt from the clock
/// (see "Implementation notes" on [`Timers`]).
const REBASE_SLACK: usize = 64;

/// A thread-safe table of timers: insert, poll, reset, cancel, and fire what
/// is due against a clock the caller owns.
///
/// `Timers` implements exactly the timer half of the
/// [`Reactor`](baton_protocol::Reactor) contract (`insert_timer`, `poll_timer`,
/// `reset_timer`, `cancel_timer`, the `timers` count of
/// [`ReactorStats`](baton_protocol::reactor::ReactorStats), and the timer part of
/// `park` and `shutdown`), so a reactor forwards those methods here and only
/// adds its clock and its poller. It never reads a clock itself: a
/// virtual-time reactor uses it with virtual instants.
///
/// # Guarantees
///
/// - **Never early**: [`fire_due(now)`](Timers::fire_due) fires only timers
///   whose deadline is at or before `now`, compared as exact `Instant`s
///   (nanoseconds): the wheel's millisecond ticks never decide a firing.
/// - **Ordered**: due timers are woken earliest deadline first; equal
///   deadlines in the order they were inserted (or last
///   [`reset`](Timers::reset), which counts as inserting again).
/// - **Exact next deadline**: [`next_deadline`](Timers::next_deadline) gives
///   the true nearest deadline, not a tick or slot boundary.
///   [`begin_park`](Timers::begin_park) gives it too when it is in the
///   wheel's lowest level (within 64 ticks, about 67 ms) or already queued;
///   otherwise an earlier instant, the start of the wheel slot that holds
///   it (see "Implementation notes").
/// - **Never inline**: [`insert`](Timers::insert) and [`reset`](Timers::reset)
///   never fire, even for a deadline already past; the next `fire_due` does.
/// - **Sticky**: a fired timer stays in the table, polls `Ready` and counts in
///   [`len`](Timers::len) until it is cancelled; resetting it arms it again.
/// - **Never aliased**: a [`TimerKey`] carries a generation, so a key kept
///   after its timer was cancelled never reaches the timer that reuses the
///   entry; it gets [`Error::NotRegistered`].
/// - **Wakers outside the lock**: `fire_due` and `shutdown` collect wakers
///   under the table's lock and wake them after releasing it.
///
/// # Waking a parked reactor
///
/// A reactor parks until the nearest deadline. If another thread then
/// inserts (or resets) a timer with an earlier deadline, the park must end
/// early (`time.earlier_deadline_from_other_thread_wakes_park`). The table
/// tracks the park for this: the reactor calls
/// [`begin_park`](Timers::begin_park) to learn how long it may wait and
/// [`end_park`](Timers::end_park) when the wait is over; in between,
/// `insert` and `reset` return `true` for the first deadline earlier than the
/// one the park waits for, and the reactor then wakes its poller. Outside a
/// park they return `false`: the next `begin_park` sees the new deadline
/// anyway, so no wake-up (and no syscall) is spent.
///
/// The park must wait no longer than what `begin_park` returned, and decide
/// nothing from a second read of the table: in between, other threads may
/// change it (cancel or move the nearest timer, then insert one at the
/// bound's instant). Such an insert is not earlier than the recorded bound,
/// so it asks for no wake-up, while the second read may have found no timer
/// at all and the park waited for ever (`Chaos` did: `time.interval_no_drift`
/// hung about once in a hundred runs on a loaded machine). A park that needs
/// the exact deadline as well calls
/// [`begin_park_with_next`](Timers::begin_park_with_next).
///
/// # Implementation notes
///
/// A hierarchical timing wheel in front of a small queue of the timers
/// about to fire, over a table of entries indexed by the key; one mutex
/// around the whole.
///
/// - **Entries** (48 bytes: the deadline as nanoseconds after the wheel's
///   origin, the waker, the sequence number, list links, generation, state)
///   live in one `Vec`; freed ones are reused last-in first-out, so a timer
///   inserted right after one was cancelled lands in a warm cache line.
/// - **The wheel** (tokio's design): 7 levels of 64 slots; a tick is
///   `2^20` ns (1.05 ms), level `l` slots span `64^l` ticks, the whole
///   `2^42` ticks (146 years). A slot is a doubly linked list through the
///   entries, and a 64-bit mask per level says which slots are non-empty.
///   The wheel never decides a firing: it only says which timers come
///   first, by tick, and entries keep their exact deadline.
/// - **The near queue** holds the timers of the slots the wheel has
///   reached, ordered by `(deadline, sequence)` with lazy deletion: each
///   slot's timers are sorted once and appended to a run (a cascade always
///   reaches a later tick than the one before), and a binary heap takes the
///   few the wheel cannot hold (deadlines in a tick already reached, beyond
///   its range, or inserted before the table saw any clock). Firing pops
///   the earlier head, so timers fire by exact deadline, and equal
///   deadlines by sequence number, however they travelled through the
///   wheel's levels.
///
/// `fire_due(now)` moves the wheel to `now`'s tick: each slot it passes is
/// emptied into lower levels (a cascade) or, at level 0, into the near
/// queue; then it pops the queue while its head is due. `next_deadline` is
/// the queue's head unless the wheel's earliest slot could hold an earlier
/// timer; then it cascades that slot, as firing would, until the earliest
/// timer is in the queue. That may move the wheel ahead of the clock, up to
/// the earliest pending timer's tick (never further); timers inserted
/// between the clock and the wheel's position then go to the queue's heap.
/// If the wheel ran far ahead (the only pending timers are an hour away)
/// and many timers land behind it, it is rebuilt from the clock once they
/// outnumber its own timers (plus 64), so that case costs amortized O(1)
/// per timer. A reset to a later deadline only rewrites the entry's
/// deadline (as tokio's does): the wheel moves the entry on when it
/// reaches its slot.
///
/// A park does not ask for that exact deadline when the nearest timer is
/// still in a higher level of the wheel: `begin_park` then returns the
/// start of its slot, and the park that ends there cascades the slot once
/// (`fire_due`), as tokio's driver parks. A server that moves a far
/// timeout on every request (hyper moves its 30 s header-read timer each
/// time it starts reading a request) otherwise paid for cascading that
/// timer down three levels at every park, only to move it again before it
/// was due; the cost is at most one extra wake-up per level for a lone
/// far timer. The lowest level stays exact, so a timer a few milliseconds
/// away costs one wake-up, not two.
///
/// | operation            | cost                                                        |
/// |----------------------|-------------------------------------------------------------|
/// | `insert`             | O(1): link at the head of a slot                            |
/// | `cancel`             | O(1): unlink (from the near queue: lazy, compacted)         |
/// | `reset`              | O(1): later, the deadline is rewritten; earlier, unlink and link |
/// | `poll`               | O(1)                                                        |
/// | `next_deadline`      | O(1) when the queue's head comes first; else cascades       |
/// | `fire_due`           | O(1) per slot passed (bit masks skip empty ones); a timer cascades once per level it descends, then is sorted among the k timers of its tick, O(log k) |
///
/// The near queue is rebuilt without its stale items once they outnumber
/// the live ones (more than twice the live items plus 1024), so cancelled
/// timers never pile up (`time.cancel`: 10 000 cancelled ahead of one live
/// timer).
///
/// Measured against the binary heap with lazy deletion this table replaced
/// (a heap of `(Instant, sequence, slot)` beside a slot table), on the
/// table alone: random deadlines 1–60 s ahead, release build, thread CPU
/// time per timer, the range of three runs each the best of five, on a
/// 2-core VM shared with other builds:
///
/// | per timer                                    | heap           | wheel      |
/// |----------------------------------------------|----------------|------------|
/// | insert, 1M pending, table growing            | 90–109 ns      | 64–78 ns   |
/// | insert, 1M pending, entries reused           | 28 ns          | 27–36 ns   |
/// | insert + cancel, 1M pending                  | 59–66 ns       | 34–48 ns   |
/// | insert + cancel, 100 000 pending             | 54–56 ns       | 33–35 ns   |
/// | fire, 1M pending (clock in 1 ms steps)       | 2 300–2 600 ns | 615–670 ns |
/// | fire, 100 000 pending                        | 720–800 ns     | 295–350 ns |
/// | reset to a random deadline (half earlier), 1M pending | 107–121 ns | 145–162 ns |
/// | memory, 1M pending                           | 72 MB          | 48 MB      |
///
/// A reset or cancel of a timer deep in a large slot touches its two list
/// neighbours, cold in a big table (tokio's lists do the same); a reset to
/// a later deadline, the usual one, does not. The wheel's insert runs more
/// instructions than a heap push (the `Instant` to nanoseconds conversion
/// alone is about 55 of its ~250), but nothing goes stale, firing no longer
/// walks a million-entry heap, and a timeout that completes in time costs a
/// warm O(1) link and unlink. Through a whole runtime (`baton-bench run
/// baton-epoll-local timer_cancel 200000` under callgrind), a
/// `sleep_until`, its first poll and its drop cost 575 instructions (669
/// with the heap; tokio's current-thread runtime: 544). A growing table
/// page-faults its memory in: 48 bytes a timer, and a page fault costs
/// about 3.3 µs on the VM above, so about 40 ns a timer while a table
/// grows to a new size, which a table that held as many timers before
/// does not pay.
#[derive(Debug)]
pub struct Timers {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Indexed by the key's entry number.
    entries: Vec<Entry>,
    /// The first free entry ([`NIL`]: none); linked through `next`.
    free: u32,
    wheel: Wheel,
    near: Near,
    /// The sequence number of the next insert or reset: orders equal
    /// deadlines, and tells a live near-queue item from a stale one.
    next_seq: u64,
    /// Entries pending or fired.
    live: usize,
    /// Timers placed behind a wheel ahead of the clock since its last
    /// rebuild.
    behind: usize,
    park: Park,
    shutdown: bool,
}

/// What the reactor's park waits for, as far as the timers know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Park {
    /// No park in progress.
    Idle,
    /// A park waits until this instant (`None`: for ever).
    Until(Option<Instant>),
    /// A park was told to wake up; later inserts need not tell it again.
    Woken,
}

impl Default for Timers {
    fn default() -> Self {
        Timers::new()
    }
}

impl Timers {
    /// An empty table.
    pub fn new() -> Timers {
        Timers {
            inner: Mutex::new(Inner {
                entries: Vec::new(),
                free: NIL,
                wheel: Wheel::new(),
                near: Near::default(),
                next_seq: 0,
                live: 0,
                behind: 0,
                park: Park::Idle,
                shutdown: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics while the lock is held (wakers are woken outside
        // it), so a poisoned lock still holds a consistent table.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Inserts a timer that fires at `deadline`, waking `waker`.
    ///
    /// A deadline at or before the caller's clock is not fired here: the
    /// next [`fire_due`](Timers::fire_due) fires it.
    ///
    /// # Return value
    ///
    /// The key, and whether a park in progress waits past `deadline` and
    /// must be woken (see "Waking a parked reactor" on [`Timers`]).
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after [`shutdown`](Timers::shutdown).
    pub fn insert(&self, deadline: Instant, waker: &Waker) -> Result<(TimerKey, bool), Error> {
        let mut inner = self.lock();
        if inner.shutdown {
            return Err(Error::Shutdown);
        }
        let seq = inner.take_seq();
        let index = inner.alloc(waker.clone(), seq)?;
        inner.place(index, deadline);
        inner.live += 1;
        let generation = inner.entries[index as usize].generation;
        let wake = inner.notice(deadline);
        Ok((key(index, generation), wake))
    }

    /// Whether the timer has fired; stores `cx.waker()` (replacing the
    /// previous one) if not.
    ///
    /// # Return value
    ///
    /// As [`Reactor::poll_timer`](baton_protocol::Reactor::poll_timer):
    /// `Ready(Ok(()))` once fired, `Pending` with the waker stored, or
    /// `Ready(Err(_))` with [`Error::NotRegistered`] for an unknown key and
    /// [`Error::Shutdown`] after shutdown.
    pub fn poll(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.lock().poll(key, cx, false)
    }

    /// [`poll`](Timers::poll), and once the timer has fired, frees its
    /// entry as [`cancel`](Timers::cancel) would, under the same lock:
    /// [`Reactor::poll_timer_once`](baton_protocol::Reactor::poll_timer_once).
    pub fn poll_once(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.lock().poll(key, cx, true)
    }

    /// Moves a timer to `deadline`, earlier or later; a fired timer is armed
    /// again. The timer's waker is kept (a fired timer has none until it is
    /// polled again).
    ///
    /// # Return value
    ///
    /// Whether a park in progress waits past `deadline` and must be woken.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] for an unknown key, [`Error::Shutdown`] after
    /// shutdown.
    pub fn reset(&self, key: TimerKey, deadline: Instant) -> Result<bool, Error> {
        let mut inner = self.lock();
        if inner.shutdown {
            return Err(Error::Shutdown);
        }
        let index = inner.find(key).ok_or(Error::NotRegistered)?;
        let seq = inner.take_seq();
        let Inner { entries, wheel, .. } = &mut *inner;
        let entry = &mut entries[index as usize];
        let was = entry.state;
        // A new `seq` also makes a near-queue item of this entry stale.
        entry.seq = seq;
        if was == State::Wheel {
            match wheel.offset(deadline) {
                // Later: the entry stays in its slot, which starts earlier
                // still; the wheel moves it when it reaches that slot.
                Some(when) if when >= entry.when => {
                    entry.when = when;
                    return Ok(inner.notice(deadline));
                }
                _ => wheel.unlink(entries, index),
            }
        }
        inner.place(index, deadline);
        if was == State::Near {
            inner.forget_near();
        }
        Ok(inner.notice(deadline))
    }

    /// Removes a timer and frees its entry; it will never fire.
    ///
    /// # Return value
    ///
    /// `true` if the timer was pending, `false` if it had fired, the key is
    /// unknown, or the table was shut down.
    pub fn cancel(&self, key: TimerKey) -> bool {
        let mut inner = self.lock();
        if inner.shutdown {
            return false;
        }
        let Some(index) = inner.find(key) else {
            return false;
        };
        let Inner { entries, wheel, .. } = &mut *inner;
        let was = entries[index as usize].state;
        if was == State::Wheel {
            wheel.unlink(entries, index);
        }
        inner.release(index);
        if was == State::Near {
            inner.forget_near();
        }
        was != State::Fired
    }

    /// The earliest deadline of a pending timer, if any: exact, never a
    /// tick or slot boundary.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.lock().next_deadline()
    }

    /// Starts a park: records that the caller is about to wait, and returns
    /// until when it may wait: the earlier of `limit` (`None`: no limit of
    /// its own) and the nearest pending deadline, or an instant before that
    /// deadline when it is more than 64 ticks away (see "Exact next
    /// deadline" on [`Timers`]); `None` means for ever. A park that ends
    /// before the deadline fires nothing and parks again.
    ///
    /// Until [`end_park`](Timers::end_park), an `insert` or `reset` with a
    /// deadline before the returned instant returns `true` (once), telling
    /// its caller to wake the park.
    pub fn begin_park(&self, limit: Option<Instant>) -> Option<Instant> {
        self.lock().begin_park(limit)
    }

    /// [`begin_park`](Timers::begin_park), and the exact nearest pending
    /// deadline read under the same lock, for a park that decides from the
    /// deadline itself (whether one is due, whether any is pending) and not
    /// only from the bound (see "Waking a parked reactor" on [`Timers`]).
    ///
    /// # Return value
    ///
    /// `(until, next)`: `until` as `begin_park` returns it, and `next` as
    /// [`next_deadline`](Timers::next_deadline) would at that instant.
    pub fn begin_park_with_next(
        &self,
        limit: Option<Instant>,
    ) -> (Option<Instant>, Option<Instant>) {
        let mut inner = self.lock();
        let until = inner.begin_park(limit);
        (until, inner.next_deadline())
    }

    /// Ends the park started by [`begin_park`](Timers::begin_park).
    pub fn end_park(&self) {
        self.lock().park = Park::Idle;
    }

    /// Fires every pending timer whose deadline is at or before `now`, and
    /// wakes their wakers after releasing the lock, earliest deadline first
    /// (equal deadlines in insertion order).
    ///
    /// # Return value
    ///
    /// How many timers fired.
    pub fn fire_due(&self, now: Instant) -> usize {
        let mut wakers = Vec::new();
        let mut fired = 0;
        {
            let mut inner = self.lock();
            let tick = inner.wheel.observe(now);
            if tick > inner.wheel.elapsed() {
                while let Some(at) = inner.wheel.next_expiration()
                    && at.start <= tick
                {
                    inner.cascade(at);
                }
                inner.wheel.advance(tick);
            }
            let Inner { entries, near, .. } = &mut *inner;
            while let Some(index) = near.pop_due(entries, now) {
                let entry = &mut entries[index as usize];
                entry.state = State::Fired;
                wakers.extend(entry.waker.take());
                fired += 1;
            }
        }
        super::wake_all(wakers);
        fired
    }

    /// Timers inserted and not yet cancelled, fired or not: what
    /// [`ReactorStats::timers`](baton_protocol::reactor::ReactorStats::timers)
    /// reports.
    pub fn len(&self) -> usize {
        self.lock().live
    }

    /// Whether [`len`](Timers::len) is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Wakes every timer's waker (outside the lock) and empties the table;
    /// later calls fail with [`Error::Shutdown`] (`cancel` returns `false`).
    /// Idempotent.
    pub fn shutdown(&self) {
        let entries = {
            let mut inner = self.lock();
            inner.shutdown = true;
            inner.wheel = Wheel::new();
            inner.near = Near::default();
            inner.free = NIL;
            inner.live = 0;
            mem::take(&mut inner.entries)
        };
        super::wake_all(
            entries
                .into_iter()
                .filter(Entry::is_pending)
                .filter_map(|entry| entry.waker),
        );
    }
}

impl Inner {
    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// A fresh entry (state `Free` until placed) for a new timer.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (out of memory) past `2^32 - 1` entries.
    fn alloc(&mut self, waker: Waker, seq: u64) -> Result<u32, Error> {
        if self.free != NIL {
            let index = self.free;
            let entry = &mut self.entries[index as usize];
            self.free = entry.next;
            entry.waker = Some(waker);
            entry.seq = seq;
            return Ok(index);
        }
        let index = match u32::try_from(self.entries.len()) {
            Ok(index) if index != NIL => index,
            _ => {
                return Err(Error::Io(std::io::Error::new(
                    std::io::ErrorKind::OutOfMemory,
                    "more than 2^32 - 1 timers",
                )));
            }
        };
        self.entries.push(Entry {
            when: 0,
            waker: Some(waker),
            seq,
            prev: NIL,
            next: NIL,
            generation: 0,
            state: State::Free,
            level: 0,
            slot: 0,
        });
        Ok(index)
    }

    /// What [`Timers::poll`] and [`Timers::poll_once`] (`release`) do.
    fn poll(
        &mut self,
        key: TimerKey,
        cx: &mut Context<'_>,
        release: bool,
    ) -> Poll<Result<(), Error>> {
        if self.shutdown {
            return Poll::Ready(Err(Error::Shutdown));
        }
        let Some(index) = self.find(key) else {
            return Poll::Ready(Err(Error::NotRegistered));
        };
        let entry = &mut self.entries[index as usize];
        if entry.state == State::Fired {
            // A fired entry is in neither the wheel nor the near queue.
            if release {
                self.release(index);
            }
            return Poll::Ready(Ok(()));
        }
        match &mut entry.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            None => entry.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The entry `key` names, if it holds a timer now.
    fn find(&self, key: TimerKey) -> Option<u32> {
        let (index, generation) = split(key);
        let entry = self.entries.get(index as usize)?;
        (entry.generation == generation && entry.state != State::Free).then_some(index)
    }

    /// Frees an entry that is no longer in the wheel (a near-queue item of it
    /// goes stale); drops its waker.
    fn release(&mut self, index: u32) {
        self.live -= 1;
        let entry = &mut self.entries[index as usize];
        entry.state = State::Free;
        entry.waker = None;
        entry.generation += 1;
        if entry.generation != u32::MAX {
            entry.next = self.free;
            self.free = index;
        }
    }

    /// Notes that an entry left the near queue (see [`Near::forget`]).
    fn forget_near(&mut self) {
        self.near.forget(&self.entries);
    }

    /// Puts a pending timer where it waits: the wheel if it can hold it,
    /// else the near queue.
    #[inline]
    fn place(&mut self, index: u32, deadline: Instant) {
        if let Some(when) = self.wheel.offset(deadline) {
            let tick = when >> TICK_SHIFT;
            if tick <= self.wheel.elapsed() && tick > self.wheel.clock() {
                self.fell_behind();
            }
            if self.wheel.link(&mut self.entries, index, when) {
                return;
            }
        }
        self.near.push(&mut self.entries, index, deadline);
    }

    /// Counts a timer that lands behind a wheel ahead of the clock, and
    /// rebuilds the wheel from the clock once such timers outnumber its own
    /// (at once when it is empty): amortized O(1) per timer.
    fn fell_behind(&mut self) {
        self.behind += 1;
        if self.wheel.len() == 0 || self.behind > self.wheel.len() + REBASE_SLACK {
            self.behind = 0;
            let near = &mut self.near;
            self.wheel
                .rebase(&mut self.entries, &mut |entries, index, deadline, _| {
                    near.push(entries, index, deadline)
                });
        }
    }

    /// Empties the wheel slot `at` one level down, or into the near queue.
    fn cascade(&mut self, at: Expiration) {
        let near = &mut self.near;
        self.wheel.cascade(
            &mut self.entries,
            at,
            &mut |entries, index, deadline, reached| {
                if reached {
                    near.stage(entries, index, deadline);
                } else {
                    near.push(entries, index, deadline);
                }
            },
        );
        self.near.commit();
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        loop {
            let near = self.near.peek(&self.entries);
            let Some(at) = self.wheel.next_expiration() else {
                return near;
            };
            // Every wheel timer is at or after `at.start`: a queued timer in
            // an earlier tick comes first. Otherwise the slot may hold an
            // earlier one; cascading it brings its timers closer, and those
            // of `at.start`'s tick into the queue.
            if let Some(deadline) = near
                && self
                    .wheel
                    .tick(deadline)
                    .is_some_and(|tick| tick < at.start)
            {
                return near;
            }
            self.cascade(at);
        }
    }

    fn begin_park(&mut self, limit: Option<Instant>) -> Option<Instant> {
        let until = match (limit, self.park_bound()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.park = Park::Until(until);
        until
    }

    /// Until when a park may wait (see [`Timers::begin_park`]): the start of
    /// the wheel's first slot when that slot is above the lowest level and
    /// no queued timer comes first, else the exact nearest deadline.
    fn park_bound(&mut self) -> Option<Instant> {
        if let Some(at) = self.wheel.next_expiration()
            && at.level > 0
            && let Some(start) = self.wheel.instant(at.start)
        {
            let near = self.near.peek(&self.entries);
            return Some(near.map_or(start, |near| near.min(start)));
        }
        self.next_deadline()
    }

    /// Whether a new `deadline` must wake the park in progress; the first
    /// one that must marks the park woken.
    fn notice(&mut self, deadline: Instant) -> bool {
        let wake = match self.park {
            Park::Until(None) => true,
            Park::Until(Some(until)) => deadline < until,
            Park::Idle | Park::Woken => false,
        };
        if wake {
            self.park = Park::Woken;
        }
        wake
    }
}
