//! What `#[baton::test]` expands to: [`test`], with its [`TestOptions`].

use std::fmt::{self, Debug, Write as _};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use baton_protocol::{Error, Reactor};
use baton_testing::matrix::{Matrix, Pair, PairFailure, Runner};
use baton_testing::seed::{self, TestSeed};
use baton_testing::{Chaos, VirtualTime};

use super::options::Decorate;
use super::{ExecutorKind, RuntimeOptions, hang};

/// Workers of the multi-thread executor in `each_pair` runs: two, so that
/// cross-worker paths are taken on any machine.
const PAIR_WORKERS: usize = 2;

/// How `#[baton::test]` runs a test; the macro builds one from its options.
///
/// # Examples
///
/// What `#[baton::test(virtual_time, timeout = "5s")]` asks for:
///
/// ```
/// use std::time::Duration;
/// use baton::rt::{RuntimeOptions, TestOptions};
///
/// let options = TestOptions::new(RuntimeOptions::for_tests())
///     .virtual_time()
///     .timeout(Duration::from_secs(5));
/// baton::rt::test(options, || async {
///     baton::sleep(Duration::from_secs(3600)).await // an hour, at once
/// });
/// ```
#[derive(Clone, Debug)]
pub struct TestOptions {
    runtime: RuntimeOptions,
    decoration: Decoration,
    each_pair: bool,
    timeout: Option<Duration>,
}

/// Which decorator wraps the test's reactor.
#[derive(Clone, Copy, Debug)]
enum Decoration {
    None,
    VirtualTime,
    /// `None`: `BATON_SEED`, or a fresh seed.
    Chaos(Option<u64>),
}

impl TestOptions {
    /// A test on `runtime` (which `BATON_REACTOR`, `BATON_EXECUTOR` and
    /// `BATON_WORKERS` override), undecorated, with no hang guard.
    pub fn new(runtime: RuntimeOptions) -> TestOptions {
        TestOptions {
            runtime,
            decoration: Decoration::None,
            each_pair: false,
            timeout: None,
        }
    }

    /// Under [`VirtualTime`]: the clock jumps to the next timer whenever
    /// every task waits (autojump), so sleeping takes no real time.
    pub fn virtual_time(mut self) -> TestOptions {
        self.decoration = Decoration::VirtualTime;
        self
    }

    /// Under [`Chaos`] fault injection, seeded with `seed`, or with
    /// `BATON_SEED` or a fresh seed if `None`; a failing test prints the
    /// `BATON_SEED=..` that replays it.
    pub fn chaos(mut self, seed: Option<u64>) -> TestOptions {
        self.decoration = Decoration::Chaos(seed);
        self
    }

    /// On every reactor × executor pair (the reactors the crate was built
    /// with, each with the local executor and a two-worker multi-thread
    /// one), instead of the one `runtime` names; every failing pair is
    /// reported, by name.
    pub fn each_pair(mut self) -> TestOptions {
        self.each_pair = true;
        self
    }

    /// Fails the test if it has not finished after `after` of real time,
    /// printing what each task waits on.
    pub fn timeout(mut self, after: Duration) -> TestOptions {
        self.timeout = Some(after);
        self
    }
}

/// What a test function may return: `()`, or a `Result<(), E>` whose error
/// fails the test, as with `#[test]`.
pub trait Outcome {
    /// `Ok` for a passing test; the failure's text otherwise.
    ///
    /// # Errors
    ///
    /// The test's own error, formatted with `Debug`.
    fn into_outcome(self) -> Result<(), String>;
}

impl Outcome for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: Debug> Outcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map_err(|e| format!("the test returned Err({e:?})"))
    }
}

/// The test's own failure, as it travels through the pair matrix.
#[derive(Debug)]
struct Failed(String);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

/// The decorator of one test run, its seed chosen.
struct Decorator(Decoration, u64);

impl Decorate for Decorator {
    fn wrap<R: Reactor + 'static>(&self, reactor: R) -> Arc<dyn Reactor> {
        match self.0 {
            Decoration::None => Arc::new(reactor),
            Decoration::VirtualTime => Arc::new(VirtualTime::new(reactor)),
            Decoration::Chaos(_) => Arc::new(Chaos::new(reactor, self.1)),
        }
    }
}

/// Runs a test: `body()` on the runtime `options` choose, or on every pair
/// with [`each_pair`](TestOptions::each_pair).
///
/// # Panics
///
/// This is a test: it panics to fail. When the body panics or returns an
/// error, when the hang guard fires, when a `BATON_*` variable is not
/// understood, or when the runtime cannot be built. With `each_pair`, once,
/// after every pair ran, listing each failing pair.
pub fn test<F, Fut>(options: TestOptions, body: F)
where
    F: Fn() -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    // Kept alive for the whole test: it prints the replay line on failure.
    let seed = match options.decoration {
        Decoration::Chaos(Some(seed)) => Some(TestSeed::new(seed)),
        Decoration::Chaos(None) => match seed::test_seed() {
            Ok(seed) => Some(seed),
            Err(e) => panic!("baton::test: {e}"),
        },
        _ => None,
    };
    let decorator = Decorator(options.decoration, seed.as_ref().map_or(0, TestSeed::get));
    if options.each_pair {
        let failures = each_pair(&decorator, options.timeout, &body);
        if !failures.is_empty() {
            panic!("{}", report(&failures));
        }
        return;
    }
    let runtime = match options.runtime.with_env() {
        Ok(runtime) => runtime,
        Err(e) => panic!("baton::test: {e}"),
    };
    let rt = match runtime
        .reactor
        .build_with(&decorator)
        .and_then(|reactor| runtime.executor.build(reactor, runtime.workers))
    {
        Ok(rt) => rt,
        Err(e) => panic!("baton::test: cannot build the runtime ({runtime}): {e}"),
    };
    match hang::run(&rt, options.timeout, body()) {
        Ok(output) => {
            if let Err(failure) = output.into_outcome() {
                panic!("{failure}");
            }
        }
        Err(e) => panic!("baton::test on {runtime}: {e}"),
    }
}

/// Runs `body` on every pair through baton-testing's [`Matrix`], each
/// executor's `block_on` under the hang guard.
fn each_pair<F, Fut>(decorator: &Decorator, timeout: Option<Duration>, body: &F) -> Vec<PairFailure>
where
    F: Fn() -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    let mut matrix = Matrix::new();
    for kind in ExecutorKind::ALL {
        matrix = matrix.executor(kind.to_string(), move |reactor| {
            let rt = kind.build(reactor, PAIR_WORKERS)?;
            Ok(Runner::new(move |future| hang::run(&rt, timeout, future)))
        });
    }
    let mut failures = Vec::new();
    #[cfg(feature = "epoll")]
    failures.extend(
        matrix.run_all("epoll", baton_reactor_epoll::EpollReactor::new, |pair| {
            on_pair(pair, decorator, body)
        }),
    );
    #[cfg(feature = "poll")]
    failures.extend(
        matrix.run_all("poll", baton_reactor_poll::PollReactor::new, |pair| {
            on_pair(pair, decorator, body)
        }),
    );
    failures
}

fn on_pair<R, F, Fut>(pair: &Pair<'_, R>, decorator: &Decorator, body: &F) -> Result<(), Error>
where
    R: Reactor + 'static,
    F: Fn() -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    let reactor = decorator.wrap(pair.reactor()?);
    pair.block_on(reactor, body())?
        .into_outcome()
        .map_err(|failure| Error::custom(Failed(failure)))
}

/// `failed on 2 pairs:` and one line (or block) per pair.
fn report(failures: &[PairFailure]) -> String {
    let mut text = format!(
        "baton::test: failed on {} pair{}:",
        failures.len(),
        if failures.len() == 1 { "" } else { "s" }
    );
    for failure in failures {
        let _ = write!(text, "\n  {}: {}", failure.pair, failure.error);
    }
    text
}
