//! The registry of live tasks: what `abort`, shutdown, metrics and task
//! dumps reach tasks through.
//!
//! A task is *registered* from its creation until its future is dropped
//! (finished, cancelled or panicked); the registry holds a waker of it and,
//! through that waker, its record ([`TaskRef`]), so shutdown can wake every
//! pending task and make it drop its future, and a dump can list what each
//! one waits on. A task is *alive*
//! from its creation until its allocation is freed, which for a finished
//! task is when its output has been taken or dropped.
//!
//! The registry is sharded by task id so that workers spawning and finishing
//! tasks at once rarely meet on one lock.

use std::io;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;
use std::time::Instant;

use baton_protocol::Error;
use baton_protocol::dump::Dump;
use baton_protocol::task::TaskId;
use slab::Slab;

use super::info::NO_SLOT;
use super::raw::TaskRef;
use super::{Runnable, TaskInfo};
use crate::sync::{AtomicBool, Condvar, Mutex, MutexGuard, fence};

/// One shard, alone on its cache lines so that two shards' locks never
/// bounce one line between cores.
#[repr(align(128))]
struct Shard {
    entries: Mutex<Slab<TaskRef>>,
    /// Tasks of this shard freed so far. Those created are the ids handed
    /// out ([`Tasks::spawned`]), so a spawn writes no counter of its own.
    freed: AtomicU64,
}

/// The registry and task counters of one executor.
pub(crate) struct Tasks {
    shards: Box<[Shard]>,
    /// Set once by [`close`](Tasks::close): no task is registered afterwards.
    closed: AtomicBool,
    next_id: AtomicU64,
    /// Changes since the registry was closed, signalled for shutdown's
    /// wait: a task left the registry, or was queued where shutdown drains
    /// ([`queued`](Tasks::queued)).
    changes: (Mutex<u64>, Condvar),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tasks {
    /// A registry with `shards` shards (rounded up to a power of two).
    pub(crate) fn new(shards: usize) -> Tasks {
        let shards = shards.max(1).next_power_of_two();
        Tasks {
            shards: (0..shards)
                .map(|_| Shard {
                    entries: Mutex::new(Slab::new()),
                    freed: AtomicU64::new(0),
                })
                .collect(),
            closed: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            changes: (Mutex::new(0), Condvar::new()),
        }
    }

    fn shard(&self, id: TaskId) -> &Shard {
        // Ids are dense, so the low bits spread consecutive spawns over
        // every shard.
        &self.shards[(id.get() as usize) & (self.shards.len() - 1)]
    }

    /// A fresh id; ids start at 1 and are never reused by one executor.
    /// The caller makes a task of it at once: from here until
    /// [`task_freed`](Tasks::task_freed), the task counts as
    /// [`alive`](Tasks::alive).
    pub(crate) fn next_id(&self) -> TaskId {
        // The counter starts at one and would take centuries to wrap.
        const LAST: TaskId = match TaskId::new(u64::MAX) {
            Some(id) => id,
            None => panic!("u64::MAX is not zero"),
        };
        TaskId::new(self.next_id.fetch_add(1, Ordering::Relaxed)).unwrap_or(LAST)
    }

    /// Tasks created so far.
    pub(crate) fn spawned(&self) -> u64 {
        self.next_id.load(Ordering::Relaxed) - 1
    }

    /// Counts the task `id` freed. Every id [`next_id`](Tasks::next_id)
    /// hands out is a task's, freed exactly once.
    pub(crate) fn task_freed(&self, id: TaskId) {
        // Released: a reader that sees this count also sees the id that
        // was handed out before it (see `alive`).
        self.shard(id).freed.fetch_add(1, Ordering::Release);
    }

    /// Tasks created and not yet freed.
    pub(crate) fn alive(&self) -> usize {
        // The frees first: every id they count was handed out before it
        // was freed, and the acquire loads make `spawned` see at least
        // those, so the difference never counts a task freed but not
        // created.
        let freed: u64 = self
            .shards
            .iter()
            .map(|s| s.freed.load(Ordering::Acquire))
            .sum();
        usize::try_from(self.spawned().saturating_sub(freed)).unwrap_or(usize::MAX)
    }

    /// Whether [`close`](Tasks::close) was called.
    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Registers a new task.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] once the registry is closed.
    pub(crate) fn register(&self, runnable: &Runnable) -> Result<(), Error> {
        let info = runnable.metadata();
        let mut entries = lock(&self.shard(info.id).entries);
        // Checked under the shard lock: `close` takes every shard lock after
        // setting the flag, so a registration either sees the flag or is
        // seen by the shutdown that follows.
        if self.is_closed() {
            return Err(Error::Shutdown);
        }
        let entry = entries.vacant_entry();
        // Slots are stored in 32 bits, which four billion live tasks of one
        // shard would exhaust first.
        let Ok(slot) = u32::try_from(entry.key()) else {
            return Err(Error::Io(io::ErrorKind::OutOfMemory.into()));
        };
        if slot == NO_SLOT {
            return Err(Error::Io(io::ErrorKind::OutOfMemory.into()));
        }
        entry.insert(TaskRef::new(runnable));
        info.set_slot(slot);
        Ok(())
    }

    /// Takes a task whose future has been dropped out of the registry.
    pub(crate) fn remove(&self, info: &TaskInfo) {
        let slot = info.slot();
        if slot == NO_SLOT {
            return;
        }
        let entry = lock(&self.shard(info.id).entries).try_remove(slot as usize);
        // The waker is released outside the lock.
        drop(entry);
        if self.is_closed() {
            self.note_change();
        }
    }

    fn note_change(&self) {
        *lock(&self.changes.0) += 1;
        self.changes.1.notify_all();
    }

    /// Tells a shutdown in progress that a task was just pushed to a queue
    /// it drains: what an executor calls right after each push to its remote
    /// queue.
    ///
    /// A wake or a spawn that got past the registry before it closed may
    /// push after the shutdown's last look at that queue; this counts a
    /// change, so the shutdown drains once more instead of leaving the task
    /// there (its future never dropped) or waiting for ever. The fence here
    /// and the one in [`drain_round`](Tasks::drain_round) order the push
    /// and the closed flag against the flag and the drain: either this sees
    /// the flag, or the drain sees the push.
    pub(crate) fn queued(&self) {
        fence(Ordering::SeqCst);
        if self.closed.load(Ordering::Relaxed) {
            self.note_change();
        }
    }

    /// Wakes a registered task (for `abort`); a no-op once it left.
    pub(crate) fn wake(&self, info: &TaskInfo) {
        let waker = lock(&self.shard(info.id).entries)
            .get(info.slot() as usize)
            .filter(|entry| entry.is(info))
            .map(|entry| entry.waker().clone());
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Refuses every later registration. Returns whether this call closed it.
    pub(crate) fn close(&self) -> bool {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        for shard in self.shards.iter() {
            drop(lock(&shard.entries));
        }
        first
    }

    /// Marks every registered task cancelled and wakes it, so that it is
    /// queued once more and its executor drops it.
    pub(crate) fn cancel_all(&self) {
        for shard in self.shards.iter() {
            let wakers: Vec<Waker> = lock(&shard.entries)
                .iter()
                .map(|(_, entry)| {
                    entry.info().set_cancelled();
                    entry.waker().clone()
                })
                .collect();
            wakers.into_iter().for_each(Waker::wake);
        }
    }

    /// Whether no task is registered.
    pub(crate) fn is_empty(&self) -> bool {
        self.shards.iter().all(|s| lock(&s.entries).is_empty())
    }

    /// Starts a round of a shutdown's drain, on a closed registry: returns
    /// the count of changes so far, for [`wait_change`](Tasks::wait_change)
    /// once the round has cancelled every task and emptied the queues.
    pub(crate) fn drain_round(&self) -> u64 {
        let seen = *lock(&self.changes.0);
        // Pairs with the fence in `queued`: the queues drained after this
        // hold every push that did not see the closed flag.
        fence(Ordering::SeqCst);
        seen
    }

    /// Waits until something changed in the closed registry after `seen`
    /// (from [`drain_round`](Tasks::drain_round)): a task left it or was
    /// queued; or until it is empty, or `deadline` passes. Returns false
    /// only when the deadline passed.
    pub(crate) fn wait_change(&self, seen: u64, deadline: Option<Instant>) -> bool {
        let mut changes = lock(&self.changes.0);
        while *changes == seen && !self.is_empty() {
            changes = match deadline {
                None => self
                    .changes
                    .1
                    .wait(changes)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    match self.changes.1.wait_timeout(changes, left) {
                        Ok((guard, _)) => guard,
                        Err(poisoned) => poisoned.into_inner().0,
                    }
                }
            };
        }
        true
    }

    /// Appends a snapshot of every registered task to `dump`.
    ///
    /// One shard lock at a time, held while its tasks are copied: spawns
    /// and exits on that shard wait that long, polls never (a task's record
    /// is read, not locked, but for its wait report's own lock, which a
    /// poller holds only to store a report). Safe from inside a task of
    /// this registry: nothing here is held by a poll.
    pub(crate) fn dump_into(&self, dump: &mut Dump) {
        let now = Instant::now();
        for shard in self.shards.iter() {
            let entries = lock(&shard.entries);
            dump.tasks.extend(
                entries
                    .iter()
                    .map(|(_, entry)| entry.info().snapshot(dump.taken_at, now)),
            );
        }
    }
}
