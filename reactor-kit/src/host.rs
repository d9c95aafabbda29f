//! [`HostState`]: the bookkeeping a host backend (a runtime baton does not
//! own, such as tokio or smol, running protocol code) shares between its
//! spawner, its driver and its entry points.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

    /// Marks the host stopped: the handle is gone, so later spawns fail with
    /// [`Error::Shutdown`](baton_protocol::Error::Shutdown); shuts the reactor down,
    /// waking every waiter with it. Idempotent.
    pub fn stop(&self) {
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
}

/// One live task of a host, counted by its [`HostState`] until dropped.
pub struct LiveTask(Arc<HostState>);

impl Drop for LiveTask {
    fn drop(&mut self) {
        self.0.alive.fetch_sub(1, Ordering::Release);
    }
}
