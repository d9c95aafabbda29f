//! [`DefaultPool`]: the protocol's own blocking pool, for runtimes that
//! bring none.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::{BlockingJob, BlockingPool};
use crate::Error;

/// A bounded blocking pool: at most `max_threads` threads, started when
/// jobs arrive and none is idle, each exiting after `keep_alive` without a
/// job. A job that finds every thread busy waits in a FIFO queue.
///
/// [`DefaultPool::global`] is the pool that serves every runtime whose
/// spawner has no pool of its own
/// ([`Spawn::blocking_pool`](crate::Spawn::blocking_pool) returns `None`)
/// and code that runs outside any runtime. Hosts and executors may also
/// make pools of their own with [`DefaultPool::new`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use baton_protocol::task::blocking::{BlockingJob, BlockingPool, DefaultPool};
/// use baton_protocol::task::SpawnOptions;
/// use baton_protocol::Error;
///
/// let pool = DefaultPool::new(2, Duration::from_secs(1));
/// let (job, answer) = BlockingJob::new(|| "done", None, SpawnOptions::here());
/// pool.execute(job)?;
/// assert_eq!(futures_lite::future::block_on(answer)?, "done");
///
/// pool.shutdown();
/// let (job, late) = BlockingJob::new(|| "never", None, SpawnOptions::here());
/// assert!(matches!(pool.execute(job), Err(Error::Shutdown)));
/// assert!(matches!(futures_lite::future::block_on(late), Err(Error::Cancelled(None))));
/// # Ok::<(), Error>(())
/// ```
pub struct DefaultPool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Idle threads wait here for jobs.
    jobs: Condvar,
    max_threads: usize,
    keep_alive: Duration,
}

/// # Invariant
///
/// `idle` counts threads waiting on `jobs` that no `execute` has claimed;
/// `wakeups` counts claims not yet consumed. An `execute` that finds an
/// idle thread moves one from `idle` to `wakeups`, so two quick jobs wake
/// two threads rather than one twice.
struct State {
    queue: VecDeque<BlockingJob>,
    threads: usize,
    idle: usize,
    wakeups: usize,
    shutdown: bool,
    started: u64,
}

fn lock(mutex: &Mutex<State>) -> MutexGuard<'_, State> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DefaultPool {
    /// The most threads [`DefaultPool::global`] starts.
    pub const GLOBAL_MAX_THREADS: usize = 64;

    /// How long a thread of [`DefaultPool::global`] waits for a job before
    /// it exits.
    pub const GLOBAL_KEEP_ALIVE: Duration = Duration::from_secs(10);

    /// A pool of at most `max_threads` threads (at least one), each exiting
    /// after `keep_alive` without a job. No thread starts before the first
    /// job.
    pub fn new(max_threads: usize, keep_alive: Duration) -> DefaultPool {
        DefaultPool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    wakeups: 0,
                    shutdown: false,
                    started: 0,
                }),
                jobs: Condvar::new(),
                max_threads: max_threads.max(1),
                keep_alive,
            }),
        }
    }

    /// The process-wide pool, started lazily: at most
    /// [`GLOBAL_MAX_THREADS`](DefaultPool::GLOBAL_MAX_THREADS) threads, each
    /// kept for [`GLOBAL_KEEP_ALIVE`](DefaultPool::GLOBAL_KEEP_ALIVE) after
    /// its last job. It never shuts down.
    pub fn global() -> &'static DefaultPool {
        static GLOBAL: OnceLock<DefaultPool> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            DefaultPool::new(
                DefaultPool::GLOBAL_MAX_THREADS,
                DefaultPool::GLOBAL_KEEP_ALIVE,
            )
        })
    }

    /// Threads in the pool now, busy or idle.
    pub fn threads(&self) -> usize {
        lock(&self.shared.state).threads
    }

    /// Refuses new jobs ([`Error::Shutdown`]), drops the queued ones (their
    /// handles give [`Error::Cancelled`]) and lets every thread exit after
    /// its current job. Does not wait for running jobs. Idempotent.
    ///
    /// The [`global`](DefaultPool::global) pool ignores it: it serves the
    /// whole process.
    pub fn shutdown(&self) {
        if std::ptr::eq(self, DefaultPool::global()) {
            return;
        }
        let queued = {
            let mut state = lock(&self.shared.state);
            state.shutdown = true;
            std::mem::take(&mut state.queue)
        };
        self.shared.jobs.notify_all();
        // Outside the lock: each drop resolves a handle and wakes its task.
        drop(queued);
    }
}

impl BlockingPool for DefaultPool {
    fn execute(&self, job: BlockingJob) -> Result<(), Error> {
        let shared = &self.shared;
        let mut state = lock(&shared.state);
        if state.shutdown {
            drop(state);
            drop(job);
            return Err(Error::Shutdown);
        }
        state.queue.push_back(job);
        if state.idle > 0 {
            state.idle -= 1;
            state.wakeups += 1;
            drop(state);
            shared.jobs.notify_one();
            return Ok(());
        }
        if state.threads >= shared.max_threads {
            // A busy thread takes it when it is done.
            return Ok(());
        }
        state.threads += 1;
        state.started += 1;
        let name = format!("baton-blocking-{}", state.started);
        drop(state);
        let worker = Arc::clone(shared);
        match thread::Builder::new()
            .name(name)
            .spawn(move || worker.run())
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut state = lock(&shared.state);
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

    fn queued(&self) -> usize {
        lock(&self.shared.state).queue.len()
    }

    fn shutdown(&self) {
        DefaultPool::shutdown(self);
    }
}

impl Shared {
    /// A pool thread: runs jobs until shutdown, or until it has waited
    /// `keep_alive` for one.
    fn run(&self) {
        while let Some(job) = self.next_job() {
            job.run();
        }
    }

    fn next_job(&self) -> Option<BlockingJob> {
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = state.queue.pop_front() {
                return Some(job);
            }
            if state.shutdown {
                state.threads -= 1;
                return None;
            }
            // A keep-alive too long to add to now means "forever".
            let deadline = Instant::now().checked_add(self.keep_alive);
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
                    // An `execute` took us off the idle count.
                    state.wakeups -= 1;
                    break;
                }
                let expired = deadline.is_some_and(|d| Instant::now() >= d);
                if state.shutdown || expired {
                    state.idle -= 1;
                    // A job queued while every thread looked busy (it
                    // found no idle one to claim) is still ours to run.
                    if !state.shutdown
                        && let Some(job) = state.queue.pop_front()
                    {
                        return Some(job);
                    }
                    state.threads -= 1;
                    return None;
                }
            }
        }
    }
}

impl fmt::Debug for DefaultPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("DefaultPool")
            .field("threads", &state.threads)
            .field("queued", &state.queue.len())
            .field("max_threads", &self.shared.max_threads)
            .field("keep_alive", &self.shared.keep_alive)
            .finish()
    }
}
