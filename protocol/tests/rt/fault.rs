//! `FaultReactor`: a [`Decorator`] that forwards everything to a real
//! reactor and answers the I/O fault point from a script.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::{IoFault, SourceKey, Tick};
use baton_protocol::{Direction, Error, Reactor};

/// A reactor decorator whose [`Reactor::io_fault`] pops the next scripted
/// answer for the direction asked (`None` once the script is spent).
pub(crate) struct FaultReactor {
    inner: Arc<dyn Reactor>,
    /// Per direction: the answers still to give, `None` meaning "no fault".
    script: [Mutex<VecDeque<Option<IoFault>>>; 2],
    /// Per direction: how many times the fault point was asked.
    asked: [AtomicUsize; 2],
    /// Calls of `clear_ready` and of `clear_drained`, any direction.
    clears: [AtomicUsize; 2],
}

impl FaultReactor {
    /// Wraps `inner` with an empty script.
    pub(crate) fn new(inner: Arc<dyn Reactor>) -> FaultReactor {
        FaultReactor {
            inner,
            script: [Mutex::new(VecDeque::new()), Mutex::new(VecDeque::new())],
            asked: [AtomicUsize::new(0), AtomicUsize::new(0)],
            clears: [AtomicUsize::new(0), AtomicUsize::new(0)],
        }
    }

    /// How many times `clear_ready` (re-arming) and `clear_drained` were
    /// called.
    pub(crate) fn clears(&self) -> (usize, usize) {
        (
            self.clears[0].load(Ordering::Relaxed),
            self.clears[1].load(Ordering::Relaxed),
        )
    }

    /// Appends answers for `dir`.
    pub(crate) fn script(
        &self,
        dir: Direction,
        answers: impl IntoIterator<Item = Option<IoFault>>,
    ) {
        self.script[dir.index()].lock().unwrap().extend(answers);
    }

    /// Answers for `dir` not given yet.
    pub(crate) fn remaining(&self, dir: Direction) -> usize {
        self.script[dir.index()].lock().unwrap().len()
    }

    /// How many times the fault point was asked about `dir`.
    pub(crate) fn asked(&self, dir: Direction) -> usize {
        self.asked[dir.index()].load(Ordering::Relaxed)
    }
}

impl Decorator for FaultReactor {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &*self.inner
    }

    fn clear_ready(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        self.clears[0].fetch_add(1, Ordering::Relaxed);
        self.inner.clear_ready(key, dir, tick)
    }

    fn clear_drained(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        self.clears[1].fetch_add(1, Ordering::Relaxed);
        self.inner.clear_drained(key, dir, tick)
    }

    fn io_fault(&self, key: SourceKey, dir: Direction) -> Option<IoFault> {
        self.asked[dir.index()].fetch_add(1, Ordering::Relaxed);
        match self.script[dir.index()].lock().unwrap().pop_front() {
            Some(answer) => answer,
            None => self.inner.io_fault(key, dir),
        }
    }
}
