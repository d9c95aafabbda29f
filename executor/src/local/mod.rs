//! The local executor: one thread, futures that need not be `Send`.

mod builder;
mod state;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use baton_protocol::coop::{self, DEFAULT_BUDGET};
use baton_protocol::task::SpawnOptions;
use baton_protocol::{Error, Handle, Reactor, wait};

pub use self::builder::LocalBuilder;
use self::state::{CurrentGuard, LocalCore, LocalShared};
use crate::context;
use crate::metrics::{Metrics, MetricsReader};
use crate::task::JoinHandle;
use baton_protocol::dump::Dump;

/// A single-thread executor: tasks run on the thread that calls
/// [`block_on`](LocalExecutor::block_on), and need not be `Send`.
///
/// Tasks make progress only inside `block_on` (any number of calls, one
/// after the other). Other threads can still spawn `Send` futures on it
/// through its [`Handle`] and wake its tasks: the work is queued for the
/// owner thread, which is woken (out of the reactor if it waits there).
/// Submissions from one foreign thread start in the order they were made.
///
/// The executor is neither `Send` nor `Sync`. Dropping it shuts it down (see
/// [`shutdown`](LocalExecutor::shutdown)).
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), baton_protocol::Error> {
/// use std::rc::Rc;
/// use baton_executor::LocalExecutor;
///
/// // Any reactor: the executor knows it only through the protocol.
/// let reactor = baton_reactor_epoll::EpollReactor::new()?;
/// let ex = LocalExecutor::new(reactor);
/// let shared = Rc::new(5); // not Send
/// let task = ex.spawn_local({
///     let shared = Rc::clone(&shared);
///     async move { *shared + 1 }
/// })?;
/// assert_eq!(ex.block_on(task)??, 6);
/// # Ok(())
/// # }
/// ```
pub struct LocalExecutor {
    core: Rc<LocalCore>,
    handle: Handle,
}

impl LocalExecutor {
    fn from_parts(core: Rc<LocalCore>, handle: Handle) -> LocalExecutor {
        LocalExecutor { core, handle }
    }

    /// A local executor on `reactor`, with the default settings.
    pub fn new(reactor: impl Reactor + 'static) -> LocalExecutor {
        LocalBuilder::new().finish(Arc::new(reactor))
    }

    /// A builder, for shuffle mode and the other settings.
    pub fn builder() -> LocalBuilder {
        LocalBuilder::new()
    }

    fn shared(&self) -> &Arc<LocalShared> {
        &self.core.shared
    }

    /// The executor as portable code sees it; entered during `block_on`.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Spawns a future that need not be `Send`; it runs inside `block_on`.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after shutdown began; `future` is dropped.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn_local(future, SpawnOptions::here())
    }

    /// [`spawn_local`](LocalExecutor::spawn_local) with options: a name for
    /// task dumps and lost-waker reports.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after shutdown began; `future` is dropped.
    pub fn spawn_local_with<F>(
        &self,
        options: SpawnOptions,
        future: F,
    ) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn_local(future, options)
    }

    /// Spawns a `Send` future: the same as
    /// [`spawn_local`](LocalExecutor::spawn_local), with the signature of
    /// [`Runtime::spawn`](crate::Runtime::spawn) for code generic over both.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after shutdown began; `future` is dropped.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.core.spawn_local(future, SpawnOptions::here())
    }

    /// Runs `f` on the executor's blocking pool; see
    /// [`Runtime::spawn_blocking`](crate::Runtime::spawn_blocking).
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after shutdown began; [`Error::Io`] if no pool
    /// thread could be started. `f` is dropped, never run.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> Result<JoinHandle<R>, Error>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared()
            .pool
            .spawn(Some(&self.handle), f, SpawnOptions::here())
    }

    /// Runs `future` (anything awaitable: a future, a
    /// [`Promise`](baton_protocol::Promise), a join handle) to completion on this thread, running the executor's
    /// tasks meanwhile and waiting in the reactor when there is nothing to
    /// run.
    ///
    /// The root future is polled when woken, ahead of queued tasks; if it
    /// wakes itself (`yield_now`), it runs again only after the reactor was
    /// polled and the tasks queued before it ran, as a task would.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidState`] when called from inside this executor's
    ///   `block_on` (from one of its tasks, or its root future): the call
    ///   could never return;
    /// - [`Error::InvalidState`] when called on a worker thread of another
    ///   multi-thread [`Runtime`](crate::Runtime) (from one of its tasks):
    ///   the call would block that worker, and the tasks queued behind it,
    ///   for as long as `future` runs. Spawn the future on that runtime
    ///   instead, or call `block_on` from its `spawn_blocking`;
    /// - [`Error::Shutdown`] after shutdown.
    ///
    /// `future` is dropped unpolled in both cases.
    ///
    /// # Panics
    ///
    /// A panic of `future` propagates to the caller; the executor stays
    /// usable and can be dropped as usual.
    pub fn block_on<F: IntoFuture>(&self, future: F) -> Result<F::Output, Error> {
        let shared = self.shared();
        let _root_guard = context::enter_root(shared.id)?;
        if shared.tasks.is_closed() {
            return Err(Error::Shutdown);
        }
        let _enter = self.handle.enter();
        let _current = CurrentGuard::set(&self.core);
        let _active = shared.counters.active();
        let root = Arc::new(Root {
            woken: AtomicBool::new(true),
            shared: Arc::clone(shared),
        });
        let waker = Waker::from(Arc::clone(&root));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future.into_future());
        let core = &*self.core;
        // A root that woke itself waits for a reactor turn (`deferred`), then
        // for the tasks queued at that point (`due_at`).
        let mut deferred = false;
        let mut due_at = 0;
        loop {
            let due = !deferred && (core.dequeued() >= due_at || core.queue_is_empty());
            if due && root.woken.swap(false, Ordering::SeqCst) {
                let _stale = wait::take();
                let poll = context::with_task_waker(&waker, || {
                    coop::with_budget(DEFAULT_BUDGET, || future.as_mut().poll(&mut cx))
                });
                let _report = wait::take();
                if let Poll::Ready(output) = poll {
                    return Ok(output);
                }
                deferred = root.woken.load(Ordering::SeqCst);
            }
            if let Some(task) = core.next_task() {
                core.run(task);
                if core.maintenance_due() {
                    core.maintenance();
                    if deferred {
                        deferred = false;
                        due_at = core.drained_at();
                    }
                }
                continue;
            }
            if core.has_deferred() || deferred {
                core.maintenance();
                if deferred {
                    deferred = false;
                    due_at = core.drained_at();
                }
                continue;
            }
            if root.woken.load(Ordering::SeqCst) {
                continue;
            }
            core.park(|| shared.remote.is_empty() && !root.woken.load(Ordering::SeqCst));
        }
    }

    /// A snapshot of the executor's counters and histograms (`workers` is
    /// 1 and `steals` 0; `global_queue_depth` counts tasks queued from other
    /// threads; its one [`WorkerMetrics`](crate::WorkerMetrics) is active
    /// only inside `block_on`).
    pub fn metrics(&self) -> Metrics {
        self.shared().metrics()
    }

    /// A reader of the executor's [`Metrics`] for any thread; see
    /// [`Runtime::metrics_reader`](crate::Runtime::metrics_reader).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// let ex = baton_executor::LocalExecutor::new(baton_reactor_epoll::EpollReactor::new()?);
    /// ex.block_on(ex.spawn(async {})?)??;
    /// let reader = ex.metrics_reader();
    /// let polls = std::thread::spawn(move || reader.metrics().polls).join().unwrap();
    /// assert_eq!(polls, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn metrics_reader(&self) -> MetricsReader {
        MetricsReader::new(Arc::clone(self.shared()) as _)
    }

    /// Every live task with what it waits on; see
    /// [`Runtime::dump`](crate::Runtime::dump). Portable code, and other
    /// threads, reach the same through
    /// [`Handle::dump`](baton_protocol::Handle::dump).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// let reactor = baton_reactor_epoll::EpollReactor::new()?;
    /// let ex = baton_executor::LocalExecutor::new(reactor);
    /// let task = ex.spawn(async {})?;
    /// assert!(ex.dump().to_string().contains("is runnable"));
    /// ex.block_on(task)??;
    /// # Ok(()) }
    /// ```
    pub fn dump(&self) -> Dump {
        self.shared().dump()
    }

    /// Shuts the executor down: spawning is refused from now on
    /// ([`Error::Shutdown`], through the protocol too); every task's future
    /// is dropped exactly once, here, never polled again (the join handles
    /// of unfinished tasks give `Err(Error::Cancelled(None))`); queued
    /// blocking jobs are cancelled, running ones finish on their own; the
    /// reactor is shut down. Idempotent; dropping the executor does it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] when called from inside this executor's
    /// `block_on`; nothing is done.
    pub fn shutdown(&self) -> Result<(), Error> {
        if context::is_inside(self.shared().id) {
            return Err(Error::InvalidState(
                "shutdown called from inside a task of this executor",
            ));
        }
        self.shutdown_now();
        Ok(())
    }

    fn shutdown_now(&self) {
        // Entered, so that what tasks' destructors report reaches this
        // executor's error hook.
        let _enter = self.handle.enter();
        let shared = self.shared();
        let first = shared.tasks.close();
        loop {
            let seen = shared.tasks.drain_round();
            shared.tasks.cancel_all();
            self.core.drop_queued();
            while let Ok(task) = shared.remote.pop() {
                drop(task);
            }
            if shared.tasks.is_empty() {
                break;
            }
            // Only this thread runs and drops the tasks, and this round
            // dropped every one queued so far, so each task still registered
            // is being queued by another thread right now: a wake or a spawn
            // that got past the registry before it closed. Its push counts
            // a change (`Tasks::queued`); wait for it, then drop it.
            shared.tasks.wait_change(seen, None);
        }
        shared.pool.shutdown(None);
        if first {
            shared.driver.reactor().shutdown();
        }
    }
}

impl Drop for LocalExecutor {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

impl fmt::Debug for LocalExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalExecutor")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

/// The waker of a local `block_on` root.
struct Root {
    woken: AtomicBool,
    shared: Arc<LocalShared>,
}

impl Wake for Root {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::SeqCst) {
            self.shared.notify();
        }
    }
}

/// Spawns a future that need not be `Send` on the local executor whose
/// `block_on` runs on this thread: how a local task starts a sibling without
/// holding the executor.
///
/// # Errors
///
/// [`Error::NoRuntime`] outside a local executor's `block_on`;
/// [`Error::Shutdown`] after it shut down. `future` is dropped in both
/// cases.
#[track_caller]
pub fn spawn_local<F>(future: F) -> Result<JoinHandle<F::Output>, Error>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let options = SpawnOptions::here();
    match self::state::current() {
        Some(core) => core.spawn_local(future, options),
        None => Err(Error::NoRuntime),
    }
}
