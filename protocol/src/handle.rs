//! `Handle`: the runtime as portable code sees it, and the per-thread
//! "current runtime" that executors enter.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use crate::dump::Dump;
use crate::task::blocking::{self, BlockingHandle, BlockingPool, DefaultPool};
use crate::task::{Builder, JoinHandle, Spawn, SpawnOptions};
use crate::{Error, Reactor};

/// A function that receives errors nobody else will see, such as a
/// [`Promise`](crate::Promise) dropped with an error that was never read.
pub type ErrorHook = Arc<dyn Fn(&Error) + Send + Sync>;

/// A runtime as portable code sees it: a reactor and a spawner.
///
/// An executor builds one `Handle` for its runtime and
/// [`enter`](Handle::enter)s it on every thread it runs tasks on, so that
/// [`Handle::current`], [`spawn`](crate::spawn), [`sleep`](crate::time::sleep)
/// and the net types find it. Clones share one runtime.
///
/// # Examples
///
/// ```
/// use baton_protocol::{Error, Handle};
///
/// // Outside any runtime there is no current handle, and that is an error
/// // value, not a panic.
/// assert!(matches!(Handle::current(), Err(Error::NoRuntime)));
/// assert!(Handle::try_current().is_none());
/// ```
#[derive(Clone)]
pub struct Handle {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    reactor: Arc<dyn Reactor>,
    spawner: Arc<dyn Spawn>,
    error_hook: RwLock<Option<ErrorHook>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

impl Handle {
    /// A handle over this reactor and spawner. For executor authors.
    pub fn new(reactor: Arc<dyn Reactor>, spawner: Arc<dyn Spawn>) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Handle {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                reactor,
                spawner,
                error_hook: RwLock::new(None),
            }),
        }
    }

    /// The runtime entered on this thread.
    ///
    /// # Errors
    ///
    /// [`Error::NoRuntime`] when no runtime is entered: outside every task
    /// and `block_on`.
    pub fn current() -> Result<Handle, Error> {
        Handle::try_current().ok_or(Error::NoRuntime)
    }

    /// The runtime entered on this thread, if any.
    pub fn try_current() -> Option<Handle> {
        CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
    }

    /// The reactor of the runtime entered on this thread, if any: what a
    /// leaf future (a sleep, a socket) keeps. Cheaper than
    /// [`try_current`](Handle::try_current) and then
    /// [`reactor`](Handle::reactor): one reference count taken, not three
    /// touched.
    pub(crate) fn current_reactor() -> Option<Arc<dyn Reactor>> {
        CURRENT
            .try_with(|c| c.borrow().as_ref().map(|h| Arc::clone(&h.inner.reactor)))
            .ok()
            .flatten()
    }

    /// The clock of the reactor entered on this thread, without taking a
    /// reference to it; `None` outside every runtime.
    pub(crate) fn current_now() -> Option<Instant> {
        CURRENT
            .try_with(|c| c.borrow().as_ref().map(|h| h.inner.reactor.now()))
            .ok()
            .flatten()
    }

    /// Makes this the current runtime of the calling thread until the guard
    /// is dropped, which restores the previous one. Guards nest.
    pub fn enter(&self) -> EnterGuard {
        let previous = CURRENT
            .try_with(|c| c.borrow_mut().replace(self.clone()))
            .ok()
            .flatten();
        EnterGuard {
            previous,
            _not_send: PhantomData,
        }
    }

    /// The runtime's reactor.
    pub fn reactor(&self) -> &Arc<dyn Reactor> {
        &self.inner.reactor
    }

    /// The runtime's spawner.
    pub fn spawner(&self) -> &Arc<dyn Spawn> {
        &self.inner.spawner
    }

    /// Spawns `future` on this runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after the runtime shut down; `future` is dropped.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<JoinHandle<F::Output>, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Builder::new().spawn_on(self, future)
    }

    /// Runs `f` on this runtime's blocking pool; see
    /// [`spawn_blocking`](crate::task::spawn_blocking).
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] when the pool has shut down; [`Error::Io`] when
    /// it could start no thread. `f` is dropped unrun in both cases.
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn demo() -> Result<(), baton_protocol::Error> {
    /// let handle = baton_protocol::Handle::current()?;
    /// let answer = handle.spawn_blocking(|| 6 * 7)?.await?;
    /// assert_eq!(answer, 42);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, T>(&self, f: F) -> Result<BlockingHandle<T>, Error>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        blocking::spawn_blocking_on(self, f, SpawnOptions::here())
    }

    /// The blocking pool this runtime's blocking work runs on: its
    /// spawner's [`blocking_pool`](Spawn::blocking_pool), or the protocol's
    /// [`DefaultPool::global`].
    pub fn blocking_pool(&self) -> &dyn BlockingPool {
        match self.inner.spawner.blocking_pool() {
            Some(pool) => pool,
            None => DefaultPool::global(),
        }
    }

    /// A snapshot of every live task of this runtime, with what each one
    /// waits on; its `Display` is the text of a task dump (see
    /// [`dump`](crate::dump)).
    ///
    /// Callable from any thread and from any task, this runtime's own
    /// included, while the runtime runs: it never stops the runtime longer
    /// than one pass over its task list. During and after shutdown it lists
    /// the tasks not yet dropped, and says so.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the runtime's executor cannot list its
    /// tasks ([`Spawn::dump`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_protocol::{Error, Handle};
    ///
    /// fn print_tasks(handle: &Handle) -> Result<(), Error> {
    ///     let dump = handle.dump()?;
    ///     eprint!("{dump}");
    ///     Ok(())
    /// }
    /// # let _ = print_tasks;
    /// ```
    pub fn dump(&self) -> Result<Dump, Error> {
        self.inner.spawner.dump()
    }

    /// Whether two handles belong to the same runtime.
    pub fn same_runtime(&self, other: &Handle) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A number identifying this runtime within the process.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Installs the function that receives errors nobody else will see;
    /// replaces the previous one. Without a hook, they are printed to
    /// standard error.
    pub fn set_error_hook(&self, hook: impl Fn(&Error) + Send + Sync + 'static) {
        *self
            .inner
            .error_hook
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
    }

    /// Hands `error` to the error hook (or standard error).
    pub fn report_error(&self, error: &Error) {
        let hook = self
            .inner
            .error_hook
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match hook {
            Some(hook) => hook(error),
            None => eprintln!("baton: unobserved error: {error}"),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("id", &self.inner.id)
            .finish()
    }
}

/// Restores the previous current runtime when dropped; returned by
/// [`Handle::enter`]. Not `Send`: it belongs to the thread that entered.
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard {
    previous: Option<Handle>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // During thread teardown the slot may already be gone; then there is
        // nothing to restore.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}
