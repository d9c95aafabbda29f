//! What the host's spawner, driver and entry points share.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};

use baton_protocol::Handle;
use baton_protocol::task::TaskId;

/// The host's shared state.
///
/// # Invariant
///
/// `handle` is `Some` from the host's start until it stops (its driver
/// task dropped with the runtime, or [`stop`](State::stop)); then `None`
/// for ever. It breaks the cycle handle → spawner → state → handle when the
/// host stops.
#[derive(Default)]
pub(crate) struct State {
    handle: RwLock<Option<Handle>>,
    alive: AtomicUsize,
    ids: AtomicU64,
}

impl State {
    /// The protocol's handle, unless the host stopped.
    pub(crate) fn handle(&self) -> Option<Handle> {
        self.handle
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Installs the handle (once, at start).
    pub(crate) fn set_handle(&self, handle: Handle) {
        *self.handle.write().unwrap_or_else(PoisonError::into_inner) = Some(handle);
    }

    /// Marks the host stopped: later spawns fail with `Shutdown`; shuts
    /// the reactor down, waking every waiter with `Shutdown`.
    pub(crate) fn stop(&self) {
        let handle = self
            .handle
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            handle.reactor().shutdown();
        }
    }

    /// A fresh task id.
    pub(crate) fn next_id(&self) -> TaskId {
        let id = self.ids.fetch_add(1, Ordering::Relaxed) + 1;
        TaskId::new(id.max(1)).expect("at least one")
    }

    /// Counts one more live task until the returned token is dropped.
    pub(crate) fn alive(self: &std::sync::Arc<Self>) -> Alive {
        self.alive.fetch_add(1, Ordering::Relaxed);
        Alive(std::sync::Arc::clone(self))
    }

    /// Tasks spawned and not yet dropped.
    pub(crate) fn alive_tasks(&self) -> usize {
        self.alive.load(Ordering::Acquire)
    }
}

/// One live task, counted until dropped.
pub(crate) struct Alive(std::sync::Arc<State>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.alive.fetch_sub(1, Ordering::Release);
    }
}
