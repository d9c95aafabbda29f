//! Blocking work: run a closure that would block a task's thread (a
//! synchronous file or database call, a CPU-heavy computation, `getaddrinfo`)
//! on a pool of threads made for it, and await its result.
//!
//! Library code calls [`spawn_blocking`]; the pool is the runtime's own when
//! its executor provides one ([`Spawn::blocking_pool`](crate::Spawn::blocking_pool):
//! `baton-executor`'s runtimes and the tokio and smol hosts do), else the
//! protocol's [`DefaultPool::global`]. [`fs`](crate::fs),
//! [`Unblock`](crate::unblock::Unblock) and
//! [`lookup_host`](crate::net::lookup_host) are built on it.
//!
//! The semantics are the same on every pool, because the [`BlockingJob`]
//! reports its own outcome:
//!
//! - the closure's value, or its panic as [`Error::Panicked`];
//! - [`Error::Cancelled`] for a job that never ran:
//!   aborted while queued, or dropped by a pool that shut down first;
//! - dropping the [`BlockingHandle`] detaches the job.
//!
//! Pools are bounded: when every thread is busy a job waits in a queue, and
//! the backlog is visible ([`BlockingPool::queued`],
//! `baton_executor::Metrics::blocking_queue_depth`).
//!
//! asyncio's counterpart is `loop.run_in_executor(None, f)`; tokio's is
//! `tokio::task::spawn_blocking`, smol's the `blocking` crate.
//!
//! # Examples
//!
//! ```
//! use baton_protocol::task::spawn_blocking;
//! use baton_protocol::Error;
//!
//! async fn checksum(data: Vec<u8>) -> Result<u32, Error> {
//!     // CPU-heavy work off the task's thread.
//!     spawn_blocking(move || data.iter().map(|&b| u32::from(b)).sum())?.await
//! }
//!
//! let sum = futures_lite::future::block_on(checksum(vec![1, 2, 3]))?;
//! assert_eq!(sum, 6);
//! # Ok::<(), Error>(())
//! ```

mod default_pool;
mod job;
mod pool;

pub use default_pool::DefaultPool;
pub use job::{BlockingHandle, BlockingJob};
pub use pool::BlockingPool;

use crate::task::SpawnOptions;
use crate::{Error, Handle};

/// Runs `f` on the blocking pool of the runtime entered on this thread, or
/// on [`DefaultPool::global`] outside every runtime (a blocking job needs
/// no reactor, so it works from any executor).
///
/// The closure runs with the runtime entered, so it can call
/// [`Handle::current`]. See the [module documentation](self) for the
/// semantics of the returned [`BlockingHandle`].
///
/// # Errors
///
/// [`Error::Shutdown`] when the pool has shut down; [`Error::Io`] when it
/// could start no thread. `f` is dropped unrun in both cases.
///
/// # Examples
///
/// ```
/// # async fn demo() -> Result<(), baton_protocol::Error> {
/// use baton_protocol::task::spawn_blocking;
/// use baton_protocol::Error;
///
/// let listing = spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count()))?.await?;
/// assert!(listing.is_ok());
///
/// // A panic in the closure is an error value for the awaiting task.
/// let panicked = spawn_blocking(|| -> u8 { panic!("boom") })?.await;
/// assert!(matches!(panicked, Err(Error::Panicked(text)) if text == "boom"));
/// # Ok(()) }
/// # futures_lite::future::block_on(demo()).unwrap();
/// ```
#[track_caller]
pub fn spawn_blocking<F, T>(f: F) -> Result<BlockingHandle<T>, Error>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let options = SpawnOptions::here();
    match Handle::try_current() {
        Some(handle) => spawn_blocking_on(&handle, f, options),
        None => {
            let (job, result) = BlockingJob::new(f, None, options);
            DefaultPool::global().execute(job)?;
            Ok(result)
        }
    }
}

/// [`spawn_blocking`] on `handle`'s runtime; see
/// [`Handle::spawn_blocking`].
pub(crate) fn spawn_blocking_on<F, T>(
    handle: &Handle,
    f: F,
    options: SpawnOptions,
) -> Result<BlockingHandle<T>, Error>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (job, result) = BlockingJob::new(f, Some(handle.clone()), options);
    handle.blocking_pool().execute(job)?;
    Ok(result)
}
