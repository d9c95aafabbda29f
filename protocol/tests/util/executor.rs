//! A single-threaded test executor driven turn by turn, so tests can say
//! "nothing ran yet" and "after one turn".

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};

use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions, TaskId};
use baton_protocol::{Error, Handle, Spawn};

use super::InertReactor;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A runtime made of the inert reactor and a [`TestExecutor`].
pub(crate) struct TestRuntime {
    pub(crate) executor: Arc<TestExecutor>,
    pub(crate) handle: Handle,
}

impl TestRuntime {
    pub(crate) fn new() -> Self {
        let executor = Arc::new(TestExecutor::default());
        let handle = Handle::new(Arc::new(InertReactor), executor.clone());
        TestRuntime { executor, handle }
    }

    /// Polls, once each, the tasks queued when the turn starts, with the
    /// runtime entered. Returns how many were polled.
    pub(crate) fn run_turn(&self) -> usize {
        let _entered = self.handle.enter();
        let batch = self.executor.take_queued();
        for task in &batch {
            task.run();
        }
        batch.len()
    }

    /// Runs turns until no task is queued; panics after 10 000 turns.
    pub(crate) fn run_until_idle(&self) {
        for _ in 0..10_000 {
            if self.run_turn() == 0 {
                return;
            }
        }
        panic!("the test runtime never went idle");
    }
}

/// Tasks in a FIFO queue; woken tasks are queued again.
#[derive(Default)]
pub(crate) struct TestExecutor {
    shared: Arc<Shared>,
}

/// What tasks reach through their wakers.
#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Arc<Task>>>,
    next_id: AtomicU64,
    closed: AtomicBool,
    alive: AtomicUsize,
}

impl TestExecutor {
    /// Tasks waiting in the queue.
    pub(crate) fn queued(&self) -> usize {
        lock(&self.shared.queue).len()
    }

    /// Refuses every later spawn with `Error::Shutdown` and drops the queued
    /// tasks' futures.
    pub(crate) fn shut_down(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        let queued: Vec<Arc<Task>> = lock(&self.shared.queue).drain(..).collect();
        for task in queued {
            task.finish_with(Err(Error::Cancelled(None)));
        }
    }

    fn take_queued(&self) -> Vec<Arc<Task>> {
        lock(&self.shared.queue).drain(..).collect()
    }
}

impl Shared {
    fn push(&self, task: Arc<Task>) {
        if !self.closed.load(Ordering::SeqCst) {
            lock(&self.queue).push_back(task);
        }
    }
}

impl Spawn for TestExecutor {
    fn spawn_erased(
        &self,
        future: BoxErased,
        _options: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        let shared = &self.shared;
        if shared.closed.load(Ordering::SeqCst) {
            drop(future);
            return Err(Error::Shutdown);
        }
        let id = TaskId::new(shared.next_id.fetch_add(1, Ordering::SeqCst) + 1)
            .ok_or(Error::InvalidState("task ids ran out"))?;
        shared.alive.fetch_add(1, Ordering::SeqCst);
        let task = Arc::new(Task {
            id,
            executor: Arc::downgrade(shared),
            future: Mutex::new(Some(future)),
            join: Mutex::new(JoinState::default()),
        });
        shared.push(Arc::clone(&task));
        Ok(Box::new(TaskJoin(task)))
    }

    fn alive_tasks(&self) -> usize {
        self.shared.alive.load(Ordering::SeqCst)
    }
}

struct Task {
    id: TaskId,
    executor: Weak<Shared>,
    future: Mutex<Option<BoxErased>>,
    join: Mutex<JoinState>,
}

#[derive(Default)]
struct JoinState {
    output: Option<Result<BoxErased, Error>>,
    finished: bool,
    taken: bool,
    aborted: bool,
    joiner: Option<Waker>,
}

impl Task {
    fn run(self: &Arc<Self>) {
        if lock(&self.join).aborted {
            self.finish_with(Err(Error::Cancelled(None)));
            return;
        }
        let waker = Waker::from(Arc::clone(self));
        let mut slot = lock(&self.future);
        let Some(future) = slot.as_mut() else {
            return;
        };
        let poll = panic::catch_unwind(AssertUnwindSafe(|| {
            future
                .as_mut()
                .poll_erased(&mut Context::from_waker(&waker))
        }));
        let output = match poll {
            Ok(Poll::Pending) => return,
            Ok(Poll::Ready(())) => Ok(()),
            Err(payload) => Err(Error::from_panic(&*payload)),
        };
        drop(slot);
        self.finish_with(output);
    }

    /// Takes the future (once) and publishes the outcome to the joiner: the
    /// future itself, holding its output, if it returned; else it is dropped.
    fn finish_with(&self, output: Result<(), Error>) {
        let Some(future) = lock(&self.future).take() else {
            return;
        };
        let output = match output {
            Ok(()) => Ok(future),
            Err(e) => {
                drop(future);
                Err(e)
            }
        };
        if let Some(executor) = self.executor.upgrade() {
            executor.alive.fetch_sub(1, Ordering::SeqCst);
        }
        let joiner = {
            let mut join = lock(&self.join);
            join.output = Some(output);
            join.finished = true;
            join.joiner.take()
        };
        if let Some(joiner) = joiner {
            joiner.wake();
        }
    }
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        if let Some(executor) = self.executor.upgrade() {
            executor.push(self);
        }
    }
}

struct TaskJoin(Arc<Task>);

impl RawJoin<BoxErased> for TaskJoin {
    fn id(&self) -> TaskId {
        self.0.id
    }

    fn is_finished(&self) -> bool {
        lock(&self.0.join).finished
    }

    fn abort(&mut self) {
        let queue = {
            let mut join = lock(&self.0.join);
            let queue = !join.finished && !join.aborted;
            join.aborted = true;
            queue
        };
        if queue {
            Arc::clone(&self.0).wake();
        }
    }

    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<BoxErased, Error>> {
        let mut join = lock(&self.0.join);
        if join.taken {
            return Poll::Ready(Err(Error::InvalidState("the task was already joined")));
        }
        match join.output.take() {
            Some(output) => {
                join.taken = true;
                Poll::Ready(output)
            }
            None => {
                join.joiner = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
