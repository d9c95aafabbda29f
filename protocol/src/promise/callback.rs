//! Done callbacks (design Decision 8): registered in order, scheduled once
//! the Promise is done, never run inside the call that completed it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

use super::Promise;
use super::state::State;
use crate::task::SpawnOptions;
use crate::{Error, Handle};

/// A done callback: a function of the completed Promise, shared by cheap
/// clones and compared by identity, so that
/// [`remove_done_callback`](Promise::remove_done_callback) can find it again.
///
/// Two `DoneCallback`s are equal when one is a clone of the other; two made
/// by separate [`new`](DoneCallback::new) calls are different even from the
/// same closure.
///
/// # Examples
///
/// ```
/// use baton_protocol::promise::{DoneCallback, Promise};
///
/// let promise = Promise::<u32>::new();
/// let log = DoneCallback::new(|p: &Promise<u32>| println!("{:?}", p.result()));
/// promise.add_done_callback(log.clone());
/// promise.add_done_callback(log.clone());
/// assert_eq!(promise.remove_done_callback(&log), 2);
/// ```
pub struct DoneCallback<T> {
    f: Arc<CallbackFn<T>>,
}

/// The function inside a [`DoneCallback`].
type CallbackFn<T> = dyn Fn(&Promise<T>) + Send + Sync;

impl<T> DoneCallback<T> {
    /// Wraps `f`. It receives the Promise it was registered on, done.
    pub fn new(f: impl Fn(&Promise<T>) + Send + Sync + 'static) -> Self {
        DoneCallback { f: Arc::new(f) }
    }
}

impl<T> Clone for DoneCallback<T> {
    /// The same callback: equal to `self`.
    fn clone(&self) -> Self {
        DoneCallback {
            f: Arc::clone(&self.f),
        }
    }
}

impl<T> PartialEq for DoneCallback<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.f, &other.f)
    }
}

impl<T> Eq for DoneCallback<T> {}

impl<T> fmt::Debug for DoneCallback<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DoneCallback")
            .field(&Arc::as_ptr(&self.f).cast::<()>())
            .finish()
    }
}

impl<T: Send + 'static> Promise<T> {
    /// Registers `callback` to run once the Promise is done.
    ///
    /// Callbacks run in registration order, each registration exactly once,
    /// after the state change and with no lock of the Promise held, so a
    /// callback may call any method of the Promise. Where and when they run
    /// (design Decision 8):
    ///
    /// - On a Promise that belongs to a runtime, never inside
    ///   [`set_result`](Promise::set_result),
    ///   [`set_error`](Promise::set_error), [`cancel`](Promise::cancel) or
    ///   this method: the callbacks pending at completion run in order in one
    ///   task spawned on that runtime
    ///   ([`Spawn::spawn_boxed`](crate::Spawn::spawn_boxed)), on a later
    ///   executor turn.
    /// - On a Promise made outside any runtime, they run on the completing
    ///   thread after the state change, before `set_result` returns. When
    ///   that thread is itself running such callbacks (a callback completed a
    ///   Promise, or added a callback to a done one), the new ones are queued
    ///   behind the running one instead of nesting, so a callback that keeps
    ///   re-adding itself loops, as in asyncio, rather than overflowing the
    ///   stack.
    /// - On a done Promise, `callback` is scheduled the same way: in a task on
    ///   the runtime (next turn, never inline), or at once on this thread
    ///   outside any runtime.
    ///
    /// A callback that panics is caught; the panic is reported as
    /// [`Error::Panicked`] to the runtime's
    /// [error hook](crate::Handle::set_error_hook) (standard error outside a
    /// runtime), and the following callbacks still run.
    ///
    /// # Notes
    ///
    /// - If spawning fails because the runtime has shut down, the callbacks
    ///   run on the completing thread instead, as for a Promise without a
    ///   runtime. If the runtime shuts down after the callback task was
    ///   spawned but before it ran, the task is dropped and its callbacks
    ///   with it, unrun, as asyncio drops the callbacks of a closed loop.
    /// - Dropping a pending Promise drops its callbacks (and what they
    ///   capture) without running them. A callback that captures its own
    ///   Promise keeps it alive until it completes: capture a
    ///   [`WeakPromise`](super::WeakPromise) instead.
    pub fn add_done_callback(&self, callback: DoneCallback<T>) {
        {
            let mut state = self.inner.lock();
            if let State::Pending { callbacks, .. } = &mut *state {
                callbacks.push(callback);
                return;
            }
        }
        self.schedule_callbacks(vec![callback]);
    }

    /// Removes every registration of `callback` (every clone of it) that has
    /// not been scheduled yet.
    ///
    /// # Return value
    ///
    /// How many registrations were removed: 6 for a callback added 6 times,
    /// 0 for one never added. On a done Promise the callbacks are already
    /// scheduled and this returns 0.
    pub fn remove_done_callback(&self, callback: &DoneCallback<T>) -> usize {
        let mut state = self.inner.lock();
        let State::Pending { callbacks, .. } = &mut *state else {
            return 0;
        };
        let before = callbacks.len();
        // `callback` keeps the shared closure alive, so dropping the removed
        // clones here, under the lock, never runs a capture's destructor.
        callbacks.retain(|c| c != callback);
        before - callbacks.len()
    }

    /// Runs `callbacks` as [`add_done_callback`](Promise::add_done_callback)
    /// describes: in a task on the Promise's runtime, or on this thread.
    pub(super) fn schedule_callbacks(&self, callbacks: Vec<DoneCallback<T>>) {
        if callbacks.is_empty() {
            return;
        }
        let batch = Batch {
            promise: self.clone(),
            callbacks,
        };
        match &self.inner.handle {
            Some(handle) => batch.spawn_on(handle),
            None => run_on_this_thread(Box::new(move || batch.run())),
        }
    }
}

/// Callbacks to run in order on one completed Promise.
struct Batch<T> {
    promise: Promise<T>,
    callbacks: Vec<DoneCallback<T>>,
}

impl<T: Send + 'static> Batch<T> {
    fn run(self) {
        for callback in &self.callbacks {
            let call = AssertUnwindSafe(|| (callback.f)(&self.promise));
            if let Err(payload) = panic::catch_unwind(call) {
                let error = Error::from_panic(&*payload);
                match &self.promise.inner.handle {
                    Some(handle) => handle.report_error(&error),
                    None => eprintln!(
                        "baton: a done callback of promise {} panicked: {error}",
                        self.promise.id()
                    ),
                }
            }
        }
    }

    /// Runs the batch in a detached task on `handle`'s runtime, or on this
    /// thread if the runtime refuses the task.
    fn spawn_on(self, handle: &Handle) {
        // The slot lets us take the batch back if `spawn_boxed` fails: the
        // spawner drops the rejected future, which only holds the slot.
        let slot = Arc::new(Mutex::new(Some(self)));
        let in_task = Arc::clone(&slot);
        let task = async move {
            let batch = in_task
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(batch) = batch {
                batch.run();
            }
        };
        let options = SpawnOptions::here().with_name("promise done callbacks");
        match handle.spawner().spawn_boxed(Box::pin(task), options) {
            Ok(join) => join.detach(),
            Err(_) => {
                let batch = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
                if let Some(batch) = batch {
                    run_on_this_thread(Box::new(move || batch.run()));
                }
            }
        }
    }
}

type Job = Box<dyn FnOnce()>;

#[cfg(not(loom))]
thread_local! {
    /// Callback batches queued behind the one running on this thread; `None`
    /// when no batch is running here.
    static QUEUED: RefCell<Option<VecDeque<Job>>> = const { RefCell::new(None) };
}

// Under loom every model thread runs on one OS thread: a `std` thread-local
// would be shared by all of them, and one thread's running batch would
// swallow another's callbacks.
#[cfg(loom)]
loom::thread_local! {
    static QUEUED: RefCell<Option<VecDeque<Job>>> = RefCell::new(None);
}

/// Runs `job` now, or, if a batch is already running on this thread, after
/// it: a trampoline that turns nested completions into a loop.
fn run_on_this_thread(job: Job) {
    let mut job = Some(job);
    let nested = QUEUED
        .try_with(|queued| {
            let mut queued = queued.borrow_mut();
            match queued.as_mut() {
                Some(queue) => {
                    queue.extend(job.take());
                    true
                }
                None => {
                    *queued = Some(VecDeque::new());
                    false
                }
            }
        })
        // During thread teardown there is no queue; run without one.
        .unwrap_or(false);
    if nested {
        return;
    }

    /// Marks this thread as no longer running a batch, even on unwinding.
    struct Outermost;
    impl Drop for Outermost {
        fn drop(&mut self) {
            let _ = QUEUED.try_with(|queued| queued.borrow_mut().take());
        }
    }
    let _outermost = Outermost;
    while let Some(run) = job {
        run();
        job = QUEUED
            .try_with(|queued| queued.borrow_mut().as_mut().and_then(VecDeque::pop_front))
            .ok()
            .flatten();
    }
}
