//! [`SmolHost`]: the entry points.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_executor::Executor;
use baton_protocol::{EnterGuard, Error, Handle, Reactor, Spawn};

use crate::blocking::SmolPool;
use crate::driver;
use crate::task::Spawner;
use baton_reactor_kit::{HostState, Hosted};

thread_local! {
    /// The host entered for the whole life of this thread, by
    /// [`SmolHost::enter_thread`].
    static THREAD: RefCell<Option<EnterGuard>> = const { RefCell::new(None) };
}

/// baton's protocol running inside a smol executor: a reactor driven by
/// async-io (its fd's waker and a task's timer), and protocol spawns
/// as the executor's tasks, with the protocol's join semantics (a dropped
/// `JoinHandle` detaches, where smol's `Task` would cancel).
///
/// Start one with [`start`](SmolHost::start); then enter it around a future
/// ([`run`](SmolHost::run)), or for whole threads
/// ([`enter_thread`](SmolHost::enter_thread),
/// [`block_on`](SmolHost::block_on)). Clones share one host.
///
/// The host stops when its executor is dropped (smol's shutdown: every
/// task, the driver included, is dropped) or on [`stop`](SmolHost::stop):
/// the reactor is shut down, so every protocol future still waiting gets
/// [`Error::Shutdown`], and later spawns fail with it.
#[derive(Clone)]
pub struct SmolHost {
    handle: Handle,
    state: Arc<HostState>,
}

impl SmolHost {
    /// Starts a host over `reactor` on `executor`: spawns its driver task
    /// there. Whatever runs the executor (`executor.run` on one thread or
    /// several, inside `async_io::block_on`) runs the protocol's tasks and
    /// its reactor's turns.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for a reactor a host cannot drive (no
    /// [`guest_fd`](Reactor::guest_fd): poll(2), virtual time);
    /// [`Error::Io`] if async-io refuses its fd.
    pub fn start(
        executor: &Arc<Executor<'static>>,
        reactor: Arc<dyn Reactor>,
    ) -> Result<SmolHost, Error> {
        let state = Arc::new(HostState::default());
        let spawner: Arc<dyn Spawn> = Arc::new(Spawner {
            executor: Arc::downgrade(executor),
            state: Arc::clone(&state),
            blocking: SmolPool::new(),
        });
        let handle = Handle::new(Arc::clone(&reactor), spawner);
        let fd = driver::watch(reactor)?;
        state.set_handle(handle.clone());
        executor
            .spawn(driver::drive(
                driver::SmolWatch::new(fd),
                Arc::clone(&state),
            ))
            .detach();
        Ok(SmolHost { handle, state })
    }

    /// The protocol's handle of this host.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// `future` with this host entered around each of its polls: what
    /// protocol code awaited inside a smol task needs.
    pub fn run<F: Future>(&self, future: F) -> Hosted<F> {
        Hosted::new(self.handle.clone(), future)
    }

    /// Runs `future` to completion on the calling thread while this thread
    /// also runs `executor`'s tasks (smol's `block_on(ex.run(..))`), with
    /// the host entered around it.
    pub fn block_on<F: Future>(&self, executor: &Executor<'_>, future: F) -> F::Output {
        async_io::block_on(executor.run(self.run(future)))
    }

    /// Enters this host on the calling thread until the thread ends (or
    /// [`leave_thread`](SmolHost::leave_thread)): protocol code polled
    /// anywhere on it finds the host. Call it first thing on each thread
    /// that runs the executor.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] if a runtime (another host, or a baton
    /// runtime) is already entered on this thread: a thread belongs to one
    /// runtime, and entering two hosts on one thread is refused. Entering
    /// the same host twice is `Ok`.
    pub fn enter_thread(&self) -> Result<(), Error> {
        if let Some(current) = Handle::try_current() {
            if current.same_runtime(&self.handle) {
                return Ok(());
            }
            return Err(Error::InvalidState(
                "another runtime is already entered on this thread",
            ));
        }
        let guard = self.handle.enter();
        THREAD.with(|t| *t.borrow_mut() = Some(guard));
        Ok(())
    }

    /// Leaves the host [`enter_thread`](SmolHost::enter_thread) entered on
    /// the calling thread, if any.
    pub fn leave_thread() {
        let guard = THREAD.with(|t| t.borrow_mut().take());
        drop(guard);
    }

    /// Stops the host: no protocol task is polled again (each drops its
    /// future when next woken, and its `JoinHandle` gives
    /// [`Error::Cancelled`](baton_protocol::Error::Cancelled)), polls in
    /// progress on other threads are waited for, later spawns are refused,
    /// its blocking pool stops (jobs still queued give
    /// [`Error::Cancelled`](baton_protocol::Error::Cancelled)), and the reactor shuts down (every protocol future still waiting in
    /// [`run`](Self::run) gets [`Error::Shutdown`](baton_protocol::Error::Shutdown)).
    /// Call it before shutting the runtime down for the protocol's rule that
    /// no future is polled once shutdown starts; the runtime's own shutdown
    /// stops the host too, but its workers may poll tasks they already
    /// picked while it drops others. Idempotent.
    pub fn stop(&self) {
        crate::blocking::stop(&self.state);
        self.state.stop();
    }
}

impl fmt::Debug for SmolHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmolHost")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
