//! The run-time choice of runtime: `--reactor epoll|poll`,
//! `--executor local|multi`, `--workers N`.
//!
//! This is the one module of the crate that names a reactor or an executor
//! crate. Every binary parses these flags into [`RuntimeOptions`], builds an
//! [`Executor`] and runs its root future on it; the example logic it runs
//! knows only `baton-protocol`, so the same code runs on all four
//! combinations, picked when the program starts rather than when it is
//! compiled.
//!
//! # Examples
//!
//! ```
//! use baton_examples::runtime::{ExecutorKind, ReactorKind, RuntimeOptions};
//!
//! # fn main() -> Result<(), baton_protocol::Error> {
//! let options = RuntimeOptions {
//!     reactor: ReactorKind::Poll,
//!     executor: ExecutorKind::Multi,
//!     workers: 2,
//! };
//! let rt = options.build()?;
//! let answer = rt.block_on(async {
//!     baton_protocol::spawn(async { 6 * 7 })?.await
//! })??;
//! assert_eq!(answer, 42);
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::IntoFuture;
use std::str::FromStr;
use std::sync::Arc;
use std::thread;

use baton_executor::{LocalExecutor, Runtime};
use baton_protocol::{Error, Handle, Reactor};
use baton_reactor_epoll::EpollReactor;
use baton_reactor_poll::PollReactor;
use lexopt::Parser;

use crate::cli::{self, Flags};

/// Which reactor waits for I/O and timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReactorKind {
    /// `baton-reactor-epoll`: mio, edge-triggered epoll.
    Epoll,
    /// `baton-reactor-poll`: the polling crate (oneshot epoll, or poll(2)).
    Poll,
}

impl ReactorKind {
    /// A new reactor of this kind, as the protocol sees it.
    ///
    /// # Errors
    ///
    /// The OS's error creating the poller.
    pub fn build(self) -> Result<Arc<dyn Reactor>, Error> {
        Ok(match self {
            ReactorKind::Epoll => Arc::new(EpollReactor::new()?),
            ReactorKind::Poll => Arc::new(PollReactor::new()?),
        })
    }
}

impl FromStr for ReactorKind {
    type Err = String;

    fn from_str(s: &str) -> Result<ReactorKind, String> {
        match s {
            "epoll" => Ok(ReactorKind::Epoll),
            "poll" => Ok(ReactorKind::Poll),
            _ => Err("expected epoll or poll".to_owned()),
        }
    }
}

impl fmt::Display for ReactorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReactorKind::Epoll => "epoll",
            ReactorKind::Poll => "poll",
        })
    }
}

/// Which executor runs the tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutorKind {
    /// [`LocalExecutor`]: every task on the thread that runs `block_on`.
    Local,
    /// [`Runtime`]: a work-stealing pool of `--workers` threads.
    Multi,
}

impl FromStr for ExecutorKind {
    type Err = String;

    fn from_str(s: &str) -> Result<ExecutorKind, String> {
        match s {
            "local" => Ok(ExecutorKind::Local),
            "multi" => Ok(ExecutorKind::Multi),
            _ => Err("expected local or multi".to_owned()),
        }
    }
}

impl fmt::Display for ExecutorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExecutorKind::Local => "local",
            ExecutorKind::Multi => "multi",
        })
    }
}

/// The runtime a binary runs on, as its flags chose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeOptions {
    /// `--reactor`.
    pub reactor: ReactorKind,
    /// `--executor`.
    pub executor: ExecutorKind,
    /// `--workers`: threads of the multi-thread executor (the local one
    /// always has one).
    pub workers: usize,
}

impl RuntimeOptions {
    /// The `--help` lines of the runtime flags.
    pub const HELP: &'static str = "\
runtime (picked at run time; the example code is the same on all four):
  --reactor epoll|poll     epoll: baton-reactor-epoll (mio); poll: baton-reactor-poll
                           (the polling crate) [default: epoll]
  --executor local|multi   local: one thread; multi: work-stealing threads [default: multi]
  --workers N              threads of the multi executor [default: one per CPU]
";

    /// Builds the chosen reactor and executor.
    ///
    /// # Errors
    ///
    /// The reactor's or the executor's construction error (no poller, a
    /// worker thread that cannot start, zero workers).
    pub fn build(&self) -> Result<Executor, Error> {
        let reactor = self.reactor.build()?;
        let executor = match self.executor {
            ExecutorKind::Local => {
                Executor::Local(LocalExecutor::builder().shared_reactor(reactor).build()?)
            }
            ExecutorKind::Multi => Executor::Multi(
                Runtime::builder()
                    .shared_reactor(reactor)
                    .workers(self.workers)
                    .build()?,
            ),
        };
        Ok(executor)
    }
}

impl Default for RuntimeOptions {
    /// epoll, multi, one worker per CPU.
    fn default() -> RuntimeOptions {
        RuntimeOptions {
            reactor: ReactorKind::Epoll,
            executor: ExecutorKind::Multi,
            workers: thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

impl fmt::Display for RuntimeOptions {
    /// `reactor epoll, executor multi (4 workers)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reactor {}, executor {}", self.reactor, self.executor)?;
        match self.executor {
            ExecutorKind::Local => Ok(()),
            ExecutorKind::Multi => write!(f, " ({} workers)", self.workers),
        }
    }
}

impl Flags for RuntimeOptions {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        match name {
            "reactor" => self.reactor = cli::value(parser)?,
            "executor" => self.executor = cli::value(parser)?,
            "workers" => self.workers = cli::checked(parser, |n| cli::at_least(n, 1))?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A built executor of either kind, with its reactor.
#[derive(Debug)]
pub enum Executor {
    /// The single-thread executor.
    Local(LocalExecutor),
    /// The multi-thread executor.
    Multi(Runtime),
}

impl Executor {
    /// The runtime as portable code sees it.
    pub fn handle(&self) -> &Handle {
        match self {
            Executor::Local(ex) => ex.handle(),
            Executor::Multi(rt) => rt.handle(),
        }
    }

    /// Runs `future` to completion on this thread, the executor's tasks
    /// running meanwhile (on this thread for `local`, on the workers for
    /// `multi`).
    ///
    /// # Errors
    ///
    /// As the executors' `block_on`: [`Error::InvalidState`] from inside
    /// the executor, [`Error::Shutdown`] after shutdown.
    pub fn block_on<F: IntoFuture>(&self, future: F) -> Result<F::Output, Error> {
        match self {
            Executor::Local(ex) => ex.block_on(future),
            Executor::Multi(rt) => rt.block_on(future),
        }
    }
}
