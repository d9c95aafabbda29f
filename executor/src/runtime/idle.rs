//! Which workers sleep, and which to wake when work arrives (tokio's
//! `Idle`, the anchor of this design).
//!
//! One atomic word holds two counts: workers *unparked* (not in the sleepers
//! list) and workers *searching* (looking for work to steal). Work submitted
//! while a worker searches will be found by it, and a searcher that finds
//! work wakes the next one, so a submitter only wakes a sleeper when nobody
//! searches and somebody sleeps: one wake-up per burst, no thundering herd.
//! The sleepers list sits under a mutex taken only on those slow paths.

use std::sync::atomic::Ordering::SeqCst;

use crate::sync::{self, AtomicUsize, Mutex};

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

/// The idle bookkeeping of a runtime's workers.
///
/// # Invariant
///
/// `num_unparked` is the number of workers not in `sleepers`; both change
/// together, under the `sleepers` lock. `num_searching` counts workers
/// between `transition_worker_to_searching` (or being notified, which counts
/// as searching) and `transition_worker_from_searching` or parking.
pub(crate) struct Idle {
    state: AtomicUsize,
    num_workers: usize,
    sleepers: Mutex<Vec<usize>>,
}

impl Idle {
    /// Bookkeeping for `num_workers` workers, all unparked and not searching.
    /// At most `SEARCH_MASK` workers are supported.
    pub(crate) fn new(num_workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
        }
    }

    /// The most workers a runtime may have.
    pub(crate) const MAX_WORKERS: usize = SEARCH_MASK;

    /// If no worker searches and one sleeps, takes a sleeper out of the list
    /// (counted as unparked and searching) and returns it; `prefer` picks
    /// among sleepers (one that is not driving the reactor, so I/O keeps
    /// being waited on).
    pub(crate) fn worker_to_notify(&self, prefer: impl Fn(usize) -> bool) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = sync::lock(&self.sleepers);
        if !self.notify_should_wakeup() {
            return None;
        }
        let at = sleepers
            .iter()
            .rposition(|&w| prefer(w))
            .or(sleepers.len().checked_sub(1))?;
        let worker = sleepers.swap_remove(at);
        self.state.fetch_add(1 | (1 << UNPARK_SHIFT), SeqCst);
        Some(worker)
    }

    /// Puts `worker` into the sleepers list. Returns whether it was the last
    /// searching worker: it must then look once more for work submitted
    /// while it searched, since nobody else will.
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = sync::lock(&self.sleepers);
        let dec = (1 << UNPARK_SHIFT) + usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// Lets the worker search (steal) unless half the workers already do.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * (state & SEARCH_MASK) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searching worker found work. Returns whether it was the last
    /// searcher: it must then wake another worker to continue the search.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        self.state.fetch_sub(1, SeqCst) & SEARCH_MASK == 1
    }

    /// Takes `worker` out of the sleepers list if it is there (it woke up
    /// with work of its own, from the reactor). Returns whether it was.
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = sync::lock(&self.sleepers);
        match sleepers.iter().position(|&w| w == worker) {
            Some(at) => {
                sleepers.swap_remove(at);
                self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
                true
            }
            None => false,
        }
    }

    /// Whether `worker` is in the sleepers list.
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        sync::lock(&self.sleepers).contains(&worker)
    }

    /// The sleepers `pick` accepts, for a wake that leaves them listed (the
    /// woken worker finds itself still parked and sleeps again, possibly in
    /// the reactor).
    pub(crate) fn sleeper_where(&self, pick: impl Fn(usize) -> bool) -> Option<usize> {
        sync::lock(&self.sleepers)
            .iter()
            .copied()
            .find(|&w| pick(w))
    }

    /// Workers not in the sleepers list.
    pub(crate) fn num_unparked(&self) -> usize {
        self.state.load(SeqCst) >> UNPARK_SHIFT
    }

    fn notify_should_wakeup(&self) -> bool {
        // A SeqCst read-modify-write, not a load: it orders the submitter's
        // queue push before this read, against the parking worker's
        // decrement before its final queue check.
        let state = self.state.fetch_add(0, SeqCst);
        state & SEARCH_MASK == 0 && (state >> UNPARK_SHIFT) < self.num_workers
    }
}
