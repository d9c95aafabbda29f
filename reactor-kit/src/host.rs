//! [`HostState`]: the bookkeeping a host backend (a runtime baton does not
//! own, such as tokio or smol, running protocol code) shares between its
//! spawner, its driver and its entry points.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use baton_protocol::Handle;
use baton_protocol::task::TaskId;

/// A host's shared state: the protocol handle it serves, its live tasks and
/// its task ids.
///
/// # Invariant
///
/// The handle is `Some` from the host's start ([`set_handle`]) until it
/// stops ([`stop`], or its driver task dropped with the host runtime); then
/// `None` for ever. Taking it breaks the cycle handle → spawner → state →
/// handle when the host stops.
///
/// [`set_handle`]: HostState::set_handle
/// [`stop`]: HostState::stop
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use baton_reactor_kit::HostState;
///
/// let state = Arc::new(HostState::default());
/// let task = state.live_task();
/// assert_eq!(state.alive_tasks(), 1);
/// drop(task);
/// assert_eq!(state.alive_tasks(), 0);
/// assert!(state.handle().is_none(), "not started");
/// ```
#[derive(Default)]
pub struct HostState {
    handle: RwLock<Option<Handle>>,
    alive: AtomicUsize,
    ids: AtomicU64,
    /// Task polls in progress through [`HostState::poll_gate`].
    polls: AtomicUsize,
    /// Set by [`HostState::stop`]: no gated poll starts afterwards.
    closed: AtomicBool,
}

thread_local! {
    /// The hosts (by address) whose gated polls are in progress on this
    /// thread, innermost last: a `stop` from inside one of its own tasks
    /// must not wait for the poll it is called from.
    static POLLING_HERE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// A task poll allowed by [`HostState::poll_gate`]; [`HostState::stop`]
/// waits for it to be dropped.
#[must_use = "the poll is allowed while the gate is held"]
pub struct PollGate<'a>(&'a HostState);

impl Drop for PollGate<'_> {
    fn drop(&mut self) {
        POLLING_HERE.with(|here| here.borrow_mut().pop());
        self.0.polls.fetch_sub(1, Ordering::Release);
    }
}

impl HostState {
    /// The protocol's handle, unless the host has not started or stopped.
    pub fn handle(&self) -> Option<Handle> {
        self.handle
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Installs the handle (once, at start).
    pub fn set_handle(&self, handle: Handle) {
        *self.handle.write().unwrap_or_else(PoisonError::into_inner) = Some(handle);
    }

    /// Lets one poll of a task's future happen, or `None` once the host
    /// stopped: the task then drops its future unpolled.
    ///
    /// A host runtime (tokio's multi-thread one) may poll tasks its workers
    /// already picked while its shutdown drops others; the gate is how the
    /// glue keeps the protocol's "no future is polled after shutdown
    /// starts": [`stop`](HostState::stop) closes it and waits for the polls
    /// in progress, so stopping the host first makes that rule exact.
    pub fn poll_gate(&self) -> Option<PollGate<'_>> {
        // SeqCst with `stop`'s store and load: either the stopper sees this
        // poll counted and waits for it, or this sees the gate closed.
        self.polls.fetch_add(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.polls.fetch_sub(1, Ordering::Release);
            return None;
        }
        POLLING_HERE.with(|here| here.borrow_mut().push(self.addr()));
        Some(PollGate(self))
    }

    /// Marks the host stopped: the poll gate closes (no task future is
    /// polled again; each drops its future when next polled) and this
    /// waits for the polls in progress on other threads; the handle is
    /// gone, so later spawns fail with [`Error::Shutdown`](baton_protocol::Error::Shutdown);
    /// shuts the reactor down, waking every waiter with it. Idempotent.
    pub fn stop(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let own = POLLING_HERE.with(|here| {
            let addr = self.addr();
            here.borrow().iter().filter(|&&a| a == addr).count()
        });
        // Polls end by themselves (the gate is closed, none starts): this
        // waits as long as the longest one in progress, like a runtime's
        // shutdown waits for its workers' current polls.
        while self.polls.load(Ordering::SeqCst) > own {
            std::thread::yield_now();
        }
        let handle = self
            .handle
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            handle.reactor().shutdown();
        }
    }

    /// A fresh task id, never zero.
    pub fn next_id(&self) -> TaskId {
        let id = self.ids.fetch_add(1, Ordering::Relaxed) + 1;
        TaskId::new(id.max(1)).expect("at least one")
    }

    /// Counts one more live task until the returned token is dropped.
    pub fn live_task(self: &Arc<Self>) -> LiveTask {
        self.alive.fetch_add(1, Ordering::Relaxed);
        LiveTask(Arc::clone(self))
    }

    /// Tasks spawned and not yet dropped.
    pub fn alive_tasks(&self) -> usize {
        self.alive.load(Ordering::Acquire)
    }

    fn addr(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }
}

/// One live task of a host, counted by its [`HostState`] until dropped.
pub struct LiveTask(Arc<HostState>);

impl LiveTask {
    /// The host this task is counted by.
    pub fn host(&self) -> &HostState {
        &self.0
    }
}

impl Drop for LiveTask {
    fn drop(&mut self) {
        self.0.alive.fetch_sub(1, Ordering::Release);
    }
}
