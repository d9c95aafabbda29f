//! Running one test body on every reactor × executor pair.
//!
//! Portable code should be tested on every backend it may meet. baton-testing
//! cannot name the backends (it depends on the protocol only), so the pairs
//! are supplied by the test crate, in one of two ways:
//!
//! - **[`each_pair!`](crate::each_pair)**, one line, for crates that have
//!   baton's own backends as dev-dependencies (`baton-reactor-epoll`,
//!   `baton-reactor-poll`, `baton-executor`): the macro expands in the test
//!   crate and names them there. It runs the body on epoll and poll, each
//!   with the local executor and a two-worker multi-thread runtime.
//! - **[`Matrix`]**, for any other set: register executor factories, then
//!   [`run`](Matrix::run) the body once per reactor factory (or
//!   [`run_all`](Matrix::run_all), to go on past failures and get them
//!   all).
//!
//! Either way the body gets a [`Pair`]: it can make a fresh reactor of the
//! pair's kind, wrap it (in [`VirtualTime`](crate::VirtualTime),
//! [`Chaos`](crate::Chaos), ...), and `block_on` a future on a fresh executor
//! of the pair's kind over it. The body is a closure that is instantiated
//! once per reactor type, so `pair.reactor()?` is the concrete type
//! (`EpollReactor`, `PollReactor`) and decorators wrap it directly.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use baton_testing::VirtualTime;
//!
//! // In a test: every pair, under virtual time.
//! baton_testing::each_pair!(|pair| {
//!     let vt = Arc::new(VirtualTime::new(pair.reactor()?));
//!     let elapsed = pair.block_on(vt.clone(), async {
//!         baton_protocol::time::sleep(Duration::from_secs(3600)).await?;
//!         Ok::<_, baton_protocol::Error>(vt.elapsed())
//!     })??;
//!     assert_eq!(elapsed, Duration::from_secs(3600), "on {}", pair.name());
//!     Ok(())
//! });
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;

use baton_protocol::{Error, Reactor};

/// A future an executor runs to completion on the calling thread.
pub type LocalBoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

type BlockOn = dyn for<'a> Fn(LocalBoxFuture<'a>) -> Result<(), Error>;
type MakeRunner = dyn Fn(Arc<dyn Reactor>) -> Result<Runner, Error>;

/// An executor, as the matrix drives it: a `block_on`.
///
/// Build one from an executor value and its `block_on`, typically in an
/// executor factory given to [`Matrix::executor`]:
///
/// ```
/// # use std::sync::Arc;
/// # use baton_protocol::{Error, Reactor};
/// use baton_testing::matrix::Runner;
///
/// fn local(reactor: Arc<dyn Reactor>) -> Result<Runner, Error> {
///     let executor = baton_executor::LocalExecutor::builder().shared_reactor(reactor).build()?;
///     Ok(Runner::new(move |future| executor.block_on(future)))
/// }
/// ```
pub struct Runner {
    block_on: Box<BlockOn>,
}

impl Runner {
    /// A runner whose `block_on` is `block_on`; the executor it captures is
    /// dropped (and so shut down) with the runner.
    pub fn new(
        block_on: impl for<'a> Fn(LocalBoxFuture<'a>) -> Result<(), Error> + 'static,
    ) -> Runner {
        Runner {
            block_on: Box::new(block_on),
        }
    }

    /// Runs `future` to completion.
    ///
    /// # Errors
    ///
    /// The executor's error for a `block_on` it refuses.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, Error> {
        let mut output = None;
        (self.block_on)(Box::pin(async {
            output = Some(future.await);
        }))?;
        output.ok_or(Error::InvalidState(
            "the executor's block_on returned before its future finished",
        ))
    }
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner").finish_non_exhaustive()
    }
}

/// One reactor × executor pair, handed to the test body.
pub struct Pair<'m, R> {
    reactor_name: &'m str,
    executor_name: &'m str,
    make_reactor: &'m dyn Fn() -> Result<R, Error>,
    make_runner: &'m MakeRunner,
}

impl<R: Reactor + 'static> Pair<'_, R> {
    /// `reactor×executor`, for messages.
    pub fn name(&self) -> String {
        format!("{}×{}", self.reactor_name, self.executor_name)
    }

    /// The reactor's name.
    pub fn reactor_name(&self) -> &str {
        self.reactor_name
    }

    /// The executor's name.
    pub fn executor_name(&self) -> &str {
        self.executor_name
    }

    /// A fresh reactor of this pair's kind, to use as is or to wrap.
    ///
    /// # Errors
    ///
    /// The reactor factory's error (out of file descriptors, say).
    pub fn reactor(&self) -> Result<R, Error> {
        (self.make_reactor)()
    }

    /// Builds a fresh executor of this pair's kind over `reactor`, runs
    /// `future` on it to completion, and drops the executor.
    ///
    /// # Errors
    ///
    /// The executor factory's error, or the executor's for a `block_on` it
    /// refuses.
    pub fn block_on<F: Future>(
        &self,
        reactor: Arc<dyn Reactor>,
        future: F,
    ) -> Result<F::Output, Error> {
        let runner = (self.make_runner)(reactor)?;
        runner.block_on(future)
    }

    /// [`block_on`](Pair::block_on) over a fresh, undecorated reactor.
    ///
    /// # Errors
    ///
    /// As [`reactor`](Pair::reactor) and [`block_on`](Pair::block_on).
    pub fn run<F: Future>(&self, future: F) -> Result<F::Output, Error> {
        let reactor = Arc::new(self.reactor()?);
        self.block_on(reactor, future)
    }
}

impl<R> fmt::Debug for Pair<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pair")
            .field("reactor", &self.reactor_name)
            .field("executor", &self.executor_name)
            .finish_non_exhaustive()
    }
}

/// The error of a test body on one pair, with the pair's name.
#[derive(Debug)]
pub struct PairFailure {
    /// `reactor×executor`.
    pub pair: String,
    /// What the body returned.
    pub error: Error,
}

impl fmt::Display for PairFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "on {}: {}", self.pair, self.error)
    }
}

impl StdError for PairFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.error)
    }
}

/// Names the pair on standard error if the body panics on it.
struct Announce<'a> {
    pair: &'a str,
}

impl Drop for Announce<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("baton-testing: the test body panicked on {}", self.pair);
        }
    }
}

/// A set of executor factories, to run test bodies on each with each
/// reactor factory.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use baton_testing::matrix::{Matrix, Runner};
///
/// let matrix = Matrix::new().executor("multi", |reactor| {
///     let rt = baton_executor::Runtime::builder().shared_reactor(reactor).workers(2).build()?;
///     Ok(Runner::new(move |future| rt.block_on(future)))
/// });
/// let mut names = Vec::new();
/// matrix.run("epoll", baton_reactor_epoll::EpollReactor::new, |pair| {
///     names.push(pair.name());
///     pair.run(async { assert_eq!(1 + 1, 2) })
/// })?;
/// assert_eq!(names, ["epoll×multi"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct Matrix {
    executors: Vec<(String, Box<MakeRunner>)>,
}

impl Matrix {
    /// No executors yet.
    pub fn new() -> Matrix {
        Matrix::default()
    }

    /// Adds an executor kind: `make` builds a fresh one over the reactor it
    /// is given, for each run.
    pub fn executor(
        mut self,
        name: impl Into<String>,
        make: impl Fn(Arc<dyn Reactor>) -> Result<Runner, Error> + 'static,
    ) -> Matrix {
        self.executors.push((name.into(), Box::new(make)));
        self
    }

    /// The executor kinds' names, in order.
    pub fn executor_names(&self) -> impl Iterator<Item = &str> {
        self.executors.iter().map(|(name, _)| name.as_str())
    }

    /// Runs `body` once per executor kind, each time with a [`Pair`] of the
    /// reactor kind `make_reactor` builds and that executor kind, stopping
    /// at the first error. A body that panics has the pair's name printed
    /// to standard error.
    ///
    /// # Errors
    ///
    /// The first error a body returns, with its pair's name.
    pub fn run<R: Reactor + 'static>(
        &self,
        reactor_name: &str,
        make_reactor: impl Fn() -> Result<R, Error>,
        mut body: impl FnMut(&Pair<'_, R>) -> Result<(), Error>,
    ) -> Result<(), PairFailure> {
        for pair in self.pairs(reactor_name, &make_reactor) {
            let name = pair.name();
            let _announce = Announce { pair: &name };
            body(&pair).map_err(|error| PairFailure {
                pair: name.clone(),
                error,
            })?;
        }
        Ok(())
    }

    /// Like [`run`](Matrix::run), but going on past a failing pair: runs
    /// `body` on every executor kind, and returns every failure, in order,
    /// with its pair's name. A body that panics is a failure too
    /// ([`Error::Panicked`] with the payload's text; the panic hook has
    /// printed it already), so one broken pair cannot hide another.
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_protocol::Error;
    /// use baton_testing::matrix::{Matrix, Runner};
    ///
    /// let matrix = Matrix::new()
    ///     .executor("local", |reactor| {
    ///         let ex = baton_executor::LocalExecutor::builder().shared_reactor(reactor).build()?;
    ///         Ok(Runner::new(move |future| ex.block_on(future)))
    ///     })
    ///     .executor("multi", |reactor| {
    ///         let rt = baton_executor::Runtime::builder().shared_reactor(reactor).workers(2).build()?;
    ///         Ok(Runner::new(move |future| rt.block_on(future)))
    ///     });
    /// let failures = matrix.run_all("epoll", baton_reactor_epoll::EpollReactor::new, |pair| {
    ///     match pair.executor_name() {
    ///         "local" => Err(Error::InvalidState("broken on purpose")),
    ///         _ => Ok(()),
    ///     }
    /// });
    /// let names: Vec<_> = failures.iter().map(|f| f.pair.as_str()).collect();
    /// assert_eq!(names, ["epoll×local"]);
    /// ```
    pub fn run_all<R: Reactor + 'static>(
        &self,
        reactor_name: &str,
        make_reactor: impl Fn() -> Result<R, Error>,
        mut body: impl FnMut(&Pair<'_, R>) -> Result<(), Error>,
    ) -> Vec<PairFailure> {
        let mut failures = Vec::new();
        for pair in self.pairs(reactor_name, &make_reactor) {
            let name = pair.name();
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                let _announce = Announce { pair: &name };
                body(&pair)
            }));
            let error = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error,
                Err(payload) => Error::from_panic(&*payload),
            };
            failures.push(PairFailure { pair: name, error });
        }
        failures
    }

    /// `reactor_name` with each executor kind, in order.
    fn pairs<'m, R>(
        &'m self,
        reactor_name: &'m str,
        make_reactor: &'m dyn Fn() -> Result<R, Error>,
    ) -> impl Iterator<Item = Pair<'m, R>> {
        self.executors
            .iter()
            .map(move |(executor_name, make_runner)| Pair {
                reactor_name,
                executor_name,
                make_reactor,
                make_runner: &**make_runner,
            })
    }
}

impl fmt::Debug for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matrix")
            .field(
                "executors",
                &self.executors.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Runs a test body on every pair of baton's own backends: reactors
/// `epoll` (`baton-reactor-epoll`) and `poll` (`baton-reactor-poll`), each
/// with executors `local` (`baton_executor::LocalExecutor`) and `multi`
/// (`baton_executor::Runtime` with two workers).
///
/// The body is `|pair| { ... }`, a block that returns
/// `Result<(), baton_protocol::Error>` (so `?` works); it is expanded once
/// per reactor type, so `pair.reactor()?` is an `EpollReactor` in one
/// expansion and a `PollReactor` in the other. See [`Pair`](crate::matrix::Pair).
///
/// The macro expands in the calling crate, which must have
/// `baton-reactor-epoll`, `baton-reactor-poll` and `baton-executor` as
/// (dev-)dependencies. It panics, naming the pair, when the body returns an
/// error; a panicking body has its pair printed too.
///
/// # Examples
///
/// ```
/// baton_testing::each_pair!(|pair| {
///     let answer = pair.run(async { 6 * 7 })?;
///     assert_eq!(answer, 42, "on {}", pair.name());
///     Ok(())
/// });
/// ```
#[macro_export]
macro_rules! each_pair {
    (|$pair:ident| $body:expr) => {{
        let matrix = $crate::matrix::Matrix::new()
            .executor("local", |reactor| {
                let executor = ::baton_executor::LocalExecutor::builder()
                    .shared_reactor(reactor)
                    .build()?;
                ::std::result::Result::Ok($crate::matrix::Runner::new(move |future| {
                    executor.block_on(future)
                }))
            })
            .executor("multi", |reactor| {
                let runtime = ::baton_executor::Runtime::builder()
                    .shared_reactor(reactor)
                    .workers(2)
                    .build()?;
                ::std::result::Result::Ok($crate::matrix::Runner::new(move |future| {
                    runtime.block_on(future)
                }))
            });
        if let ::std::result::Result::Err(failure) =
            matrix.run("epoll", ::baton_reactor_epoll::EpollReactor::new, |$pair| {
                $body
            })
        {
            ::std::panic!("baton-testing: {failure}");
        }
        if let ::std::result::Result::Err(failure) =
            matrix.run("poll", ::baton_reactor_poll::PollReactor::new, |$pair| {
                $body
            })
        {
            ::std::panic!("baton-testing: {failure}");
        }
    }};
}
