//! The blocking pool behind `spawn_blocking`: a bounded set of threads, each
//! kept alive for a while after its last job, that run closures which would
//! otherwise block a worker.
//!
//! Each job is an ordinary task of this crate (its future runs the closure
//! once), so its join handle has the semantics of every other: a job
//! aborted before a thread picks it up never runs; a panic becomes
//! `Error::Panicked`.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use baton_protocol::task::SpawnOptions;
use baton_protocol::{Error, Handle};

use crate::task::{self, Core, JoinHandle, Runnable, Scheduler, Tasks};

/// The pool's settings.
#[derive(Clone, Debug)]
pub(crate) struct PoolConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
}

/// A blocking pool; see the module documentation.
pub(crate) struct Pool {
    shared: Arc<PoolShared>,
    /// What the pool's jobs reach it through.
    core: Core,
}

struct PoolShared {
    tasks: Tasks,
    state: Mutex<State>,
    /// Idle threads wait here for jobs.
    jobs: Condvar,
    /// Signalled when a thread exits, for shutdown's wait.
    exited: Condvar,
    config: PoolConfig,
}

struct State {
    queue: VecDeque<Runnable>,
    threads: usize,
    /// Threads waiting for a job and not yet handed a wake-up.
    idle: usize,
    /// Wake-ups handed to idle threads and not yet consumed.
    wakeups: usize,
    shutdown: bool,
    spawned_threads: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pool {
    pub(crate) fn new(config: PoolConfig) -> Pool {
        let shared = Arc::new(PoolShared {
            tasks: Tasks::new(1),
            state: Mutex::new(State {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
                wakeups: 0,
                shutdown: false,
                spawned_threads: 0,
            }),
            jobs: Condvar::new(),
            exited: Condvar::new(),
            config,
        });
        Pool {
            core: Core::new(&shared),
            shared,
        }
    }

    /// Runs `f` on a pool thread, which enters `handle`.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after shutdown; [`Error::Io`] if no thread could
    /// be started and none is running. `f` is dropped, never run, in both
    /// cases.
    pub(crate) fn spawn<F, R>(
        &self,
        handle: &Handle,
        f: F,
        options: SpawnOptions,
    ) -> Result<JoinHandle<R>, Error>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let schedule = |runnable: Runnable, _| {
            let core = runnable.metadata().core.clone();
            core.schedule_remote(runnable);
        };
        let (runnable, join) = task::spawn_blocking(self.core.clone(), f, options, schedule)?;
        PoolShared::submit(&self.shared, runnable, handle)?;
        Ok(join)
    }

    pub(crate) fn tasks(&self) -> &Tasks {
        &self.shared.tasks
    }

    /// Threads currently in the pool.
    pub(crate) fn threads(&self) -> usize {
        lock(&self.shared.state).threads
    }

    /// Jobs waiting for a thread now.
    pub(crate) fn queue_depth(&self) -> usize {
        lock(&self.shared.state).queue.len()
    }

    /// Cancels queued jobs and lets the threads exit after their current
    /// job. With a deadline, waits until every thread has exited or the
    /// deadline passes and returns whether they all exited; without one,
    /// returns at once.
    pub(crate) fn shutdown(&self, deadline: Option<Instant>) -> bool {
        let shared = &self.shared;
        shared.tasks.close();
        let queued = {
            let mut state = lock(&shared.state);
            state.shutdown = true;
            std::mem::take(&mut state.queue)
        };
        shared.jobs.notify_all();
        // Outside the lock: each drop drops a job's closure, never run.
        drop(queued);
        let Some(deadline) = deadline else {
            return true;
        };
        let mut state = lock(&shared.state);
        while state.threads > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = match shared.exited.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        true
    }
}

impl PoolShared {
    /// Queues a job and makes sure a thread will take it: an idle one, or a
    /// new one (entering `handle`) if the pool is below its bound.
    fn submit(this: &Arc<Self>, runnable: Runnable, handle: &Handle) -> Result<(), Error> {
        let mut state = lock(&this.state);
        if state.shutdown {
            drop(state);
            drop(runnable);
            return Err(Error::Shutdown);
        }
        state.queue.push_back(runnable);
        if state.idle > 0 {
            // Handing the wake-up to one idle thread by count, so that two
            // quick submissions wake two threads, not one twice.
            state.idle -= 1;
            state.wakeups += 1;
            drop(state);
            this.jobs.notify_one();
            return Ok(());
        }
        if state.threads >= this.config.max_threads {
            // A running thread takes it when it is done.
            return Ok(());
        }
        state.threads += 1;
        state.spawned_threads += 1;
        let n = state.spawned_threads;
        drop(state);
        let mut builder = thread::Builder::new().name(format!("{}-{n}", this.config.thread_name));
        if let Some(size) = this.config.stack_size {
            builder = builder.stack_size(size);
        }
        let shared = Arc::clone(this);
        let handle = handle.clone();
        match builder.spawn(move || shared.run(&handle)) {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut state = lock(&this.state);
                state.threads -= 1;
                if state.threads > 0 {
                    return Ok(());
                }
                // Nobody would ever take the jobs: cancel them and say why.
                let orphans = std::mem::take(&mut state.queue);
                drop(state);
                drop(orphans);
                Err(Error::Io(e))
            }
        }
    }

    /// A pool thread: takes jobs until shutdown or until it has been idle for
    /// the keep-alive time.
    fn run(&self, handle: &Handle) {
        let _enter = handle.enter();
        while let Some(job) = self.next_job() {
            job.run();
        }
        lock(&self.state).threads -= 1;
        self.exited.notify_all();
    }

    fn next_job(&self) -> Option<Runnable> {
        let mut state = lock(&self.state);
        // A keep-alive too long to add to now means "forever".
        let deadline = Instant::now().checked_add(self.config.keep_alive);
        loop {
            if let Some(job) = state.queue.pop_front() {
                return Some(job);
            }
            if state.shutdown {
                return None;
            }
            state.idle += 1;
            loop {
                state = match deadline {
                    None => self
                        .jobs
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner),
                    Some(deadline) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        match self.jobs.wait_timeout(state, left) {
                            Ok((state, _)) => state,
                            Err(poisoned) => poisoned.into_inner().0,
                        }
                    }
                };
                if state.wakeups > 0 {
                    // `submit` took us off the idle count.
                    state.wakeups -= 1;
                    break;
                }
                let expired = deadline.is_some_and(|d| Instant::now() >= d);
                if state.shutdown || expired {
                    state.idle -= 1;
                    return if state.shutdown {
                        None
                    } else {
                        state.queue.pop_front()
                    };
                }
            }
        }
    }
}

impl Scheduler for PoolShared {
    fn schedule_remote(&self, runnable: Runnable) {
        // Only reached if a job were woken after it started, which a job
        // that never returns Pending cannot be; queue it for a running
        // thread all the same.
        let mut state = lock(&self.state);
        if state.shutdown {
            drop(state);
            drop(runnable);
            return;
        }
        state.queue.push_back(runnable);
        drop(state);
        self.jobs.notify_one();
    }

    fn tasks(&self) -> &Tasks {
        &self.tasks
    }
}
