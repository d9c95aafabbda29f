//! The child side: run some cases of one pair, in order, and report each on
//! standard output. A crash or hang here costs the parent one cell, never
//! the run.

use std::cell::RefCell;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::protocol::Event;
use super::resources::Resources;
use super::seed::case_seed;
use crate::case::{Case, Failure, Outcome};
use crate::ctx::Ctx;
use crate::spec::Pair;

thread_local! {
    /// Where the last panic on this thread happened, for the failure text.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `cases` on `pair` and reports each; returns when all have run.
pub(crate) fn run(pair: &Pair, cases: &[&Case], run_seed: u64) -> ExitCode {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let _ = LAST_PANIC.try_with(|p| *p.borrow_mut() = Some(at));
        previous(info);
    }));
    let mut out = std::io::stdout().lock();
    for case in cases {
        let _ = writeln!(
            out,
            "{}",
            Event::Start {
                case: case.id.into()
            }
            .to_line()
        );
        let _ = out.flush();
        let started = Instant::now();
        let outcome = run_one(pair, case, case_seed(run_seed, case.id));
        let end = Event::End {
            case: case.id.into(),
            passed: outcome.is_ok(),
            message: outcome
                .err()
                .map(|f| f.message().to_owned())
                .unwrap_or_default(),
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        let _ = writeln!(out, "{}", end.to_line());
        let _ = out.flush();
    }
    ExitCode::SUCCESS
}

fn run_one(pair: &Pair, case: &Case, seed: u64) -> Outcome {
    let baseline = Resources::now();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let ctx = Ctx::new(pair.clone(), seed);
        let outcome = (case.body)(&ctx);
        let teardown = ctx.teardown();
        // The case's own failure says more than what it left behind.
        outcome.and(teardown)
    }));
    let outcome = result.unwrap_or_else(|payload| {
        let text = baton_protocol::Error::from_panic(&*payload);
        let at = LAST_PANIC
            .try_with(|p| p.borrow_mut().take())
            .ok()
            .flatten()
            .unwrap_or_default();
        Err(Failure::new(format!("the case panicked at {at}: {text}")))
    });
    let after = Resources::settle(baseline, Duration::from_secs(2));
    outcome?;
    if after.fds > baseline.fds {
        return Err(Failure::new(format!(
            "file descriptors leaked: {} open before the case, {} after",
            baseline.fds, after.fds
        )));
    }
    if after.threads > baseline.threads {
        return Err(Failure::new(format!(
            "threads leaked: {} before the case, {} after",
            baseline.threads, after.threads
        )));
    }
    Ok(())
}
