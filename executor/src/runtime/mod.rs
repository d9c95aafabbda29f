//! The multi-thread runtime: work-stealing workers around one reactor.

mod builder;
mod idle;
mod shared;
mod worker;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_protocol::coop::{self, DEFAULT_BUDGET};
use baton_protocol::task::SpawnOptions;
use baton_protocol::{Error, Handle, wait};

pub use builder::Builder;
pub(crate) use builder::{DEFAULT_INTERVAL, DEFAULT_KEEP_ALIVE, DEFAULT_MAX_BLOCKING};
pub(crate) use idle::Idle;
use shared::Shared;

use crate::context;
use crate::metrics::{Metrics, MetricsReader};
use crate::park::Parker;
use crate::task::{Core, JoinHandle};
use baton_protocol::dump::Dump;

/// A multi-thread runtime: worker threads that run tasks, steal from each
/// other and take turns waiting in the reactor.
///
/// Build one with [`Runtime::builder`], giving it a reactor; run a future to
/// completion with [`block_on`](Runtime::block_on); start tasks with
/// [`spawn`](Runtime::spawn), or from anywhere inside the runtime with the
/// protocol's [`baton_protocol::spawn`]. Dropping the runtime shuts it down
/// (see [`shutdown_timeout`](Runtime::shutdown_timeout)).
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), baton_protocol::Error> {
/// use baton_executor::Runtime;
///
/// // Any reactor: the executor knows it only through the protocol.
/// let reactor = baton_reactor_epoll::EpollReactor::new()?;
/// let rt = Runtime::builder().reactor(reactor).workers(2).build()?;
/// let answer = rt.block_on(async {
///     let task = baton_protocol::spawn(async { 6 * 7 })?;
///     task.await
/// })??;
/// assert_eq!(answer, 42);
/// # Ok(())
/// # }
/// ```
pub struct Runtime {
    shared: Arc<Shared>,
    /// What the runtime's tasks reach it through.
    core: Core,
    handle: Handle,
}

impl Runtime {
    /// A builder; [`Builder::reactor`] is the one required setting.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// The runtime as portable code sees it: entered on every worker and in
    /// every `block_on`, so [`Handle::current`] returns it there.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Spawns a task.
    ///
    /// Returns this crate's [`JoinHandle`], which has the protocol's
    /// semantics and converts into a [`baton_protocol::JoinHandle`] with
    /// `.into()`. Called from one of the runtime's workers, the task is
    /// queued on that worker; from elsewhere, on the global queue.
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
        self.shared.spawn(&self.core, future, SpawnOptions::here())
    }

    /// Spawns a task with options: a name for task dumps and lost-waker
    /// reports.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after shutdown began; `future` is dropped.
    pub fn spawn_with<F>(
        &self,
        options: SpawnOptions,
        future: F,
    ) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(&self.core, future, options)
    }

    /// Runs `f` on the blocking pool, a bounded set of threads kept alive
    /// for a while after their last job (see
    /// [`Builder::max_blocking_threads`], [`Builder::blocking_keep_alive`]).
    /// When every pool thread is busy, the job waits for one.
    ///
    /// The handle has the same semantics as a task's: aborting a job that no
    /// thread has started yet means it never runs; a job that started runs
    /// to the end (a closure cannot be interrupted).
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
        self.shared
            .pool
            .spawn(Some(&self.handle), f, SpawnOptions::here())
    }

    /// Runs `future` (anything awaitable: a future, a
    /// [`Promise`](baton_protocol::Promise), a join handle) to completion on the calling thread, while the workers
    /// run the tasks.
    ///
    /// The calling thread enters the runtime (so the protocol's free
    /// functions find it) and sleeps while the root future waits; the
    /// workers drive the reactor for it (an idle worker waits in the
    /// reactor, a busy one polls it every `event_interval` polls). Several
    /// threads may call `block_on` on one runtime at once.
    ///
    /// A root that wakes itself (`yield_now`) is polled again at once: its
    /// thread has nothing else to run, and the tasks it queued run on the
    /// workers meanwhile, in parallel, not necessarily first.
    ///
    /// # Implementation notes
    ///
    /// A caller never drives the reactor itself: events it dispatched would
    /// queue their tasks on the global queue, behind the worker that is
    /// busy, where a worker's own reactor poll queues them next to it.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidState`] when called on a thread that already runs
    ///   this runtime's tasks (a worker, or inside this runtime's `block_on`):
    ///   the caller would wait for work that only it could do;
    /// - [`Error::InvalidState`] when called on a worker thread of another
    ///   multi-thread [`Runtime`](crate::Runtime) (from one of its tasks):
    ///   the call would block that worker, and the tasks queued behind it,
    ///   for as long as `future` runs. Spawn the future on that runtime
    ///   instead, or call `block_on` from its `spawn_blocking`;
    /// - [`Error::Shutdown`] after shutdown began.
    ///
    /// `future` is dropped unpolled in both cases.
    ///
    /// # Panics
    ///
    /// A panic of `future` propagates to the caller; the runtime stays
    /// usable and can be dropped as usual.
    pub fn block_on<F: IntoFuture>(&self, future: F) -> Result<F::Output, Error> {
        let shared = &self.shared;
        let _root = context::enter_root(shared.id)?;
        if shared.tasks.is_closed() {
            return Err(Error::Shutdown);
        }
        let _enter = self.handle.enter();
        let root = Arc::new(Root {
            parker: Parker::new(),
            shared: Arc::clone(shared),
            state: AtomicU8::new(RUNNING),
        });
        let waker = Waker::from(Arc::clone(&root));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future.into_future());
        let _active = ActiveRoot::new(&root);
        loop {
            let _stale = wait::take();
            let poll = context::with_task_waker(&waker, || {
                coop::with_budget(DEFAULT_BUDGET, || future.as_mut().poll(&mut cx))
            });
            let _report = wait::take();
            if let Poll::Ready(output) = poll {
                return Ok(output);
            }
            root.park();
        }
    }

    /// A snapshot of the runtime's counters and histograms.
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics()
    }

    /// A reader of the runtime's [`Metrics`] for any thread or task, which
    /// needs no reference to the runtime; what an exporter holds.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// let rt = baton_executor::Runtime::builder()
    ///     .reactor(baton_reactor_epoll::EpollReactor::new()?)
    ///     .build()?;
    /// let reader = rt.metrics_reader();
    /// let alive = rt.block_on(async move { reader.metrics().alive_tasks })?;
    /// assert_eq!(alive, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn metrics_reader(&self) -> MetricsReader {
        MetricsReader::new(Arc::clone(&self.shared) as _)
    }

    /// Every live task (future not yet dropped), with what it waits on; its
    /// `Display` is one line per task, like
    /// `task 7 (conn-handler, spawned at src/server.rs:41 by task 1) waits
    /// for fd 9 readable [waiting 2.3 s; polled 4 times, 120 µs in polls]`
    /// (see [`baton_protocol::dump`]). Portable code, any task and any
    /// thread reach the same through
    /// [`Handle::dump`](baton_protocol::Handle::dump).
    ///
    /// Taken while the workers run on: each registry shard is locked in
    /// turn for as long as its tasks are copied, and no poll is waited for.
    /// During and after shutdown it lists the tasks not yet dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// let reactor = baton_reactor_epoll::EpollReactor::new()?;
    /// let rt = baton_executor::Runtime::builder().reactor(reactor).build()?;
    /// let gate = baton_protocol::Promise::<()>::new();
    /// let task = rt.spawn(gate.clone().into_future())?;
    /// rt.block_on(async {
    ///     while rt.dump().tasks.iter().all(|t| t.waits_for.is_none()) {
    ///         baton_protocol::yield_now().await;
    ///     }
    /// })?;
    /// assert!(rt.dump().to_string().contains("waits for Promise"));
    /// gate.set_result(())?;
    /// rt.block_on(task)???;
    /// # Ok(()) }
    /// ```
    pub fn dump(&self) -> Dump {
        self.shared.dump()
    }

    /// Shuts the runtime down, waiting at most `timeout`.
    ///
    /// In order: spawning is refused from now on ([`Error::Shutdown`],
    /// through the protocol too); no task is polled again; the workers stop
    /// after their current poll and are joined; every task's future is
    /// dropped exactly once (the join handles of those that had not finished
    /// give `Err(Error::Cancelled(None))`; finished ones keep their output);
    /// queued blocking jobs are cancelled and running ones waited for; then
    /// the reactor is shut down. A second call, and dropping the runtime
    /// afterwards, only finish what is left without waiting.
    ///
    /// # Errors
    ///
    /// - [`Error::Elapsed`] if `timeout` passed first: a task that does not
    ///   return from its poll, or a blocking job, is still running; its
    ///   thread is left to finish and drop what it holds;
    /// - [`Error::InvalidState`] when called from one of the runtime's
    ///   workers, which cannot wait for itself, or from inside its
    ///   `block_on` (as asyncio refuses to close a running loop); nothing is
    ///   done.
    pub fn shutdown_timeout(&self, timeout: Duration) -> Result<(), Error> {
        if context::is_inside(self.shared.id) {
            return Err(Error::InvalidState(
                "shutdown_timeout called from inside a task or block_on of this runtime",
            ));
        }
        let deadline = Instant::now().checked_add(timeout);
        // Entered, so that what tasks' destructors report reaches this
        // runtime's error hook.
        let _enter = self.handle.enter();
        if self.shared.shutdown(deadline, true) {
            Ok(())
        } else {
            Err(Error::Elapsed)
        }
    }
}

impl Drop for Runtime {
    /// Shuts down as [`shutdown_timeout`](Runtime::shutdown_timeout) does,
    /// waiting for the workers as long as their current polls take, but not
    /// for running blocking jobs. Dropped from inside one of its own tasks,
    /// the runtime stops its workers without waiting: each drops its tasks
    /// when its current poll returns.
    fn drop(&mut self) {
        let _enter = self.handle.enter();
        if context::is_worker_of(self.shared.id) {
            self.shared.shutdown(Some(Instant::now()), false);
        } else {
            self.shared.shutdown(None, true);
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .field("workers", &self.shared.workers())
            .finish_non_exhaustive()
    }
}

/// The waker of a `block_on` root: unparks the calling thread, wherever it
/// sleeps, and keeps the runtime from looking idle while the root is
/// runnable.
///
/// # Invariant
///
/// `shared.active_roots` counts this root (once) exactly while `state` is
/// `RUNNING` or `WOKEN`, except for a waker's transient extra count: a wake
/// adds one first and takes it back if it did not move the root from
/// `PARKED` to `WOKEN`. Over-counting for a moment only delays idleness;
/// under-counting would let a virtual clock jump while the woken root has
/// yet to run.
struct Root {
    parker: Parker,
    shared: Arc<Shared>,
    state: AtomicU8,
}

/// The root is being polled, or is between polls on its thread.
const RUNNING: u8 = 0;
/// The root's thread sleeps; the root is not counted.
const PARKED: u8 = 1;
/// A wake moved the root from `PARKED` and counted it for the thread.
const WOKEN: u8 = 2;
/// `block_on` returned; wakes no longer count.
const DONE: u8 = 3;

impl Root {
    /// Parks the root's thread until a wake. Called on that thread only.
    fn park(&self) {
        self.state.store(PARKED, Ordering::SeqCst);
        self.shared.active_roots.fetch_sub(1, Ordering::SeqCst);
        self.parker.park_without_driver();
        // A wake already counted the root for us; otherwise (the unpark
        // came from a wake while it was still running) count it now.
        if self.state.swap(RUNNING, Ordering::SeqCst) != WOKEN {
            self.shared.active_roots.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl Wake for Root {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let counts = &self.shared.active_roots;
        counts.fetch_add(1, Ordering::SeqCst);
        if self
            .state
            .compare_exchange(PARKED, WOKEN, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            counts.fetch_sub(1, Ordering::SeqCst);
        }
        self.parker.unpark(&self.shared.driver);
    }
}

/// Counts a `block_on` root as runnable from its start to its end (a
/// return or a panic); [`Root::park`] and the waker adjust the count in
/// between.
struct ActiveRoot<'a> {
    root: &'a Root,
}

impl<'a> ActiveRoot<'a> {
    fn new(root: &'a Root) -> ActiveRoot<'a> {
        root.shared.active_roots.fetch_add(1, Ordering::SeqCst);
        ActiveRoot { root }
    }
}

impl Drop for ActiveRoot<'_> {
    fn drop(&mut self) {
        // Only the root's own thread drops this, between polls: the state is
        // `RUNNING`, and the root is counted once.
        self.root.state.store(DONE, Ordering::SeqCst);
        self.root.shared.active_roots.fetch_sub(1, Ordering::SeqCst);
    }
}
