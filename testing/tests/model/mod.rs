//! Model-based testing of the `Reactor` contract: random sequences of
//! operations run on a reactor and checked, step by step, against a small
//! reference model.
//!
//! - [`op`]: the operations and their proptest strategy;
//! - [`reference`]: the model — what the contract says after each step;
//! - [`world`]: real socket pairs, wakers, and the step loop;
//! - [`subject`]: the reactors and decorators under test.
//!
//! # Replaying a failure
//!
//! A failure is shrunk to a minimal sequence and reported with the line that
//! replays the whole run (`BATON_SEED=<n> cargo test ...`). proptest's
//! failure files are off: the sequences drive real sockets and real clocks,
//! so a saved case is a hint, not a deterministic replay, and tests must
//! not write into the source tree; the printed sequence and seed are the
//! record.

pub(crate) mod op;
pub(crate) mod reference;
pub(crate) mod subject;
pub(crate) mod world;

use baton_protocol::{Error, Reactor};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

use self::subject::Wrap;
use self::world::World;

/// Sequences per subject in a plain `cargo test` (six subjects), unless
/// `PROPTEST_CASES` says otherwise (`cargo xtask fuzz-model --cases N`).
const DEFAULT_CASES: u32 = 1000;

/// The longest sequence generated.
const MAX_LEN: usize = 48;

/// Runs the model check on reactors made by `make`, wrapped as `wrap`.
/// `test` is the test function's name, for the replay line.
///
/// # Panics
///
/// With the minimal failing sequence and how to replay it, when the
/// subject breaks the contract.
pub(crate) fn check<R: Reactor + 'static>(test: &str, make: fn() -> Result<R, Error>, wrap: Wrap) {
    let seed = baton_testing::seed::test_seed().expect("BATON_SEED must be a number");
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = DEFAULT_CASES;
    }
    config.failure_persistence = None;
    config.rng_seed = RngSeed::Fixed(seed.get());
    // A failing case can cost a second (a lost wake-up waits out the settle
    // loop); shrinking stops after this long with the smallest found so far.
    config.max_shrink_time = 120_000;
    let cases = config.cases;
    // Timer delays of a few milliseconds keep real-clock sequences short;
    // under virtual time any delay is free.
    let max_ms = if wrap == Wrap::VirtualTime { 200 } else { 4 };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&op::case(max_ms, MAX_LEN), |(chaos_seed, ops)| {
        let reactor = make().map_err(|e| TestCaseError::fail(format!("new reactor: {e}")))?;
        let world = World::new(subject::build(reactor, wrap, chaos_seed))
            .map_err(|e| TestCaseError::fail(format!("socket pairs: {e}")))?;
        world.run(&ops).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => eprintln!("reactor_model {test}: {cases} sequences passed"),
        Err(TestError::Fail(reason, (chaos_seed, ops))) => {
            let listing: String = ops
                .iter()
                .enumerate()
                .map(|(i, op)| format!("  {i:>2}: {op:?}\n"))
                .collect();
            panic!(
                "reactor_model {test}: contract violated: {reason}\n\
                 minimal failing sequence ({} ops, Chaos seed {chaos_seed}):\n{listing}\
                 replay: BATON_SEED={} cargo test -p baton-testing --test reactor_model {test}",
                ops.len(),
                seed.get(),
            );
        }
        Err(TestError::Abort(reason)) => panic!("reactor_model {test}: aborted: {reason}"),
    }
}
