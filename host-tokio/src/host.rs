//! [`TokioHost`]: the entry points.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use baton_protocol::EnterGuard;
use baton_protocol::{Error, Handle, Reactor, Spawn};

use crate::blocking::TokioPool;
use crate::driver;
use crate::task::Spawner;
use baton_reactor_kit::{HostState, Hosted};

thread_local! {
    /// The host entered for the whole life of this thread, by
    /// [`TokioHost::enter_thread`].
    static THREAD: RefCell<Option<EnterGuard>> = const { RefCell::new(None) };
}

/// baton's protocol running inside a tokio runtime: a reactor driven by
/// tokio (its fd's waker, called by tokio's I/O driver, and a task's
/// sleep), and protocol spawns as tokio tasks.
///
/// Make one with [`start`](TokioHost::start) (inside a runtime) or
/// [`start_on`](TokioHost::start_on); then either enter it around a future
/// ([`run`](TokioHost::run)), or for whole threads
/// ([`enter_thread`](TokioHost::enter_thread), [`block_on`](TokioHost::block_on),
/// [`on_thread_start`](TokioHost::on_thread_start)). Clones share one host.
///
/// The host stops when its runtime shuts down (the driver task is dropped)
/// or on [`stop`](TokioHost::stop): the reactor is shut down, so every
/// protocol future still waiting gets [`Error::Shutdown`], and later spawns
/// fail with it.
#[derive(Clone)]
pub struct TokioHost {
    handle: Handle,
    state: Arc<HostState>,
}

impl TokioHost {
    /// Starts a host over `reactor` inside the tokio runtime this is called
    /// from.
    ///
    /// # Errors
    ///
    /// [`Error::NoRuntime`] outside a tokio runtime; otherwise as
    /// [`start_on`](TokioHost::start_on).
    pub fn start(reactor: Arc<dyn Reactor>) -> Result<TokioHost, Error> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        TokioHost::start_on(&rt, reactor)
    }

    /// Starts a host over `reactor` inside the tokio runtime `rt`, which
    /// must have I/O and time enabled (`enable_all`).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for a reactor a host cannot drive (no
    /// [`guest_fd`](Reactor::guest_fd): poll(2), virtual time);
    /// [`Error::Io`] if tokio refuses to watch its fd.
    ///
    /// # Panics
    ///
    /// As tokio's `AsyncFd`, if `rt` has I/O disabled. With time disabled,
    /// the driver task panics at the first protocol timer; the host then
    /// stops, and every protocol future waiting on it gets
    /// [`Error::Shutdown`].
    pub fn start_on(
        rt: &tokio::runtime::Handle,
        reactor: Arc<dyn Reactor>,
    ) -> Result<TokioHost, Error> {
        let state = Arc::new(HostState::default());
        let spawner: Arc<dyn Spawn> = Arc::new(Spawner {
            rt: rt.clone(),
            state: Arc::clone(&state),
            blocking: TokioPool {
                rt: rt.clone(),
                state: Arc::clone(&state),
                queued: Arc::default(),
            },
        });
        let handle = Handle::new(Arc::clone(&reactor), spawner);
        // A `TokioReactor` made outside the runtime joins it now.
        reactor.host_runtime(rt);
        let fd = {
            let _rt = rt.enter();
            driver::watch(reactor)?
        };
        state.set_handle(handle.clone());
        // Unconstrained: the turns a timer asks for run inside the driver
        // task, and tokio's cooperative budget must not make them yield
        // (the turns' waker would be woken by the budget, kick again, and
        // find the budget still spent).
        let drive = driver::drive(driver::TokioWatch::new(fd), Arc::clone(&state));
        drop(rt.spawn(tokio::task::unconstrained(drive)));
        Ok(TokioHost { handle, state })
    }

    /// The protocol's handle of this host.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// `future` with this host entered around each of its polls: what
    /// protocol code awaited inside a tokio task needs.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), baton_protocol::Error> {
    /// let host = baton_host_tokio::TokioHost::start(Arc::new(baton_reactor_epoll::EpollReactor::new()?))?;
    /// host.run(baton_protocol::time::sleep(std::time::Duration::from_millis(1))).await?;
    /// # Ok(()) }
    /// ```
    pub fn run<F: Future>(&self, future: F) -> Hosted<F> {
        Hosted::new(self.handle.clone(), future)
    }

    /// Enters this host on the calling thread until the thread ends (or
    /// [`leave_thread`](TokioHost::leave_thread)): protocol code polled
    /// anywhere on it finds the host.
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

    /// Leaves the host [`enter_thread`](TokioHost::enter_thread) entered on
    /// the calling thread, if any.
    pub fn leave_thread() {
        let guard = THREAD.with(|t| t.borrow_mut().take());
        drop(guard);
    }

    /// A hook for tokio's `Builder::on_thread_start`: enters the host on
    /// each of the runtime's threads (workers and blocking threads). A
    /// refusal (another runtime already entered there) goes to the host's
    /// error hook.
    ///
    /// Build the host first with a runtime that does not exist yet? Use
    /// [`enter_thread`](TokioHost::enter_thread) from inside instead; see
    /// the [crate documentation](crate) for the whole-runtime recipe.
    pub fn on_thread_start(&self) -> impl Fn() + Send + Sync + 'static {
        let host = self.clone();
        move || {
            if let Err(e) = host.enter_thread() {
                host.handle.report_error(&e);
            }
        }
    }

    /// Runs `future` to completion on the calling thread with `rt`, the
    /// host entered around it.
    ///
    /// # Panics
    ///
    /// As tokio's `Runtime::block_on`: when called from inside a runtime.
    pub fn block_on<F: Future>(&self, rt: &tokio::runtime::Runtime, future: F) -> F::Output {
        rt.block_on(self.run(future))
    }

    /// Stops the host: no protocol task is polled again (each drops its
    /// future when next woken, and its `JoinHandle` gives
    /// [`Error::Cancelled`](baton_protocol::Error::Cancelled)), polls in
    /// progress on other threads are waited for, later spawns are refused,
    /// and the reactor shuts down (every protocol future still waiting in
    /// [`run`](Self::run) gets [`Error::Shutdown`](baton_protocol::Error::Shutdown)).
    /// Call it before shutting the runtime down for the protocol's rule that
    /// no future is polled once shutdown starts; the runtime's own shutdown
    /// stops the host too, but its workers may poll tasks they already
    /// picked while it drops others. Idempotent.
    pub fn stop(&self) {
        self.state.stop();
    }
}

impl fmt::Debug for TokioHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioHost")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
