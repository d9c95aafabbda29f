//! What a case body gets: fresh backends of its pair, built on demand, and
//! checked for leaks when the case ends.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;

use baton_protocol::{Handle, Reactor};

use crate::case::{Failure, Outcome};
use crate::spec::{Executor, Need, Pair};

/// A runtime of the pair under test: an executor over its own reactor.
pub struct Runtime {
    reactor: Arc<dyn Reactor>,
    executor: Box<dyn Executor>,
}

impl Runtime {
    /// Builds a runtime of `pair`: a fresh reactor and an executor over it.
    ///
    /// # Errors
    ///
    /// The factories' errors, as a failure.
    pub fn new(pair: &Pair, seed: u64) -> Result<Runtime, Failure> {
        let reactor = pair
            .reactor
            .build(seed)
            .map_err(|e| Failure::new(format!("building the reactor failed: {e}")))?;
        let executor = pair
            .executor
            .build(Arc::clone(&reactor), seed)
            .map_err(|e| Failure::new(format!("building the executor failed: {e}")))?;
        Ok(Runtime { reactor, executor })
    }

    /// The runtime's reactor.
    pub fn reactor(&self) -> &Arc<dyn Reactor> {
        &self.reactor
    }

    /// The runtime's executor.
    pub fn executor(&self) -> &dyn Executor {
        &*self.executor
    }

    /// The runtime's handle.
    pub fn handle(&self) -> Handle {
        self.executor.handle()
    }

    /// Runs `future` to completion on this runtime and returns its output.
    ///
    /// # Errors
    ///
    /// The executor's refusal to `block_on`, as a failure.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, Failure> {
        let mut output = None;
        self.executor
            .block_on(Box::pin(async { output = Some(future.await) }))
            .map_err(|e| Failure::new(format!("block_on refused: {e}")))?;
        output.ok_or_else(|| Failure::new("block_on returned before its future completed"))
    }

    /// Shuts the runtime down, then checks that every task, registration and
    /// timer is gone.
    ///
    /// # Errors
    ///
    /// A failed shutdown, or a leaked task, registration or timer.
    pub fn teardown(self) -> Outcome {
        let alive_before = self.executor.handle().spawner().alive_tasks();
        self.executor
            .shutdown()
            .map_err(|e| Failure::new(format!("shutdown failed: {e}")))?;
        let alive = self.executor.handle().spawner().alive_tasks();
        drop(self.executor);
        let stats = self.reactor.stats();
        self.reactor.shutdown();
        crate::ensure_eq!(
            alive,
            0,
            "tasks still alive after shutdown ({alive_before} before it)"
        );
        crate::ensure_eq!(
            stats.registrations,
            0,
            "reactor registrations leaked past shutdown"
        );
        crate::ensure_eq!(stats.timers, 0, "reactor timers leaked past shutdown");
        Ok(())
    }
}

/// The context of one case on one pair. Backends are built on first use and
/// torn down, with leak checks, when the case ends.
pub struct Ctx {
    pair: Pair,
    seed: u64,
    runtime: RefCell<Option<Rc<Runtime>>>,
    bare: RefCell<Vec<Arc<dyn Reactor>>>,
}

impl Ctx {
    pub(crate) fn new(pair: Pair, seed: u64) -> Self {
        Ctx {
            pair,
            seed,
            runtime: RefCell::new(None),
            bare: RefCell::new(Vec::new()),
        }
    }

    /// The case's seed: derive every random choice from it, so a failure
    /// replays with `BATON_SEED`.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The pair's name, for messages.
    pub fn pair_name(&self) -> String {
        self.pair.name()
    }

    /// The pair under test; `Send`, so another thread can build its own
    /// runtime of it with [`Runtime::new`].
    pub fn pair(&self) -> &Pair {
        &self.pair
    }

    /// Whether the pair provides `need` (for cases that adapt, rather than
    /// skip, when it does not).
    pub fn provides(&self, need: Need) -> bool {
        self.pair.provides(need)
    }

    /// A fresh reactor of the pair with no executor, for cases that drive
    /// `park` by hand. Its registrations and timers are checked at teardown.
    ///
    /// # Errors
    ///
    /// The factory's error, as a failure.
    pub fn reactor(&self) -> Result<Arc<dyn Reactor>, Failure> {
        let reactor = self
            .pair
            .reactor
            .build(self.seed)
            .map_err(|e| Failure::new(format!("building the reactor failed: {e}")))?;
        self.bare.borrow_mut().push(Arc::clone(&reactor));
        Ok(reactor)
    }

    /// A new, independent runtime of the pair; the caller owns it. Dropping
    /// it without [`Runtime::teardown`] shuts it down unchecked.
    ///
    /// # Errors
    ///
    /// The factories' errors, as a failure.
    pub fn new_runtime(&self) -> Result<Runtime, Failure> {
        Runtime::new(&self.pair, self.seed)
    }

    /// The case's runtime, built on first use; torn down and checked when the
    /// case ends.
    ///
    /// # Errors
    ///
    /// The factories' errors, as a failure.
    pub fn runtime(&self) -> Result<Rc<Runtime>, Failure> {
        if let Some(rt) = &*self.runtime.borrow() {
            return Ok(Rc::clone(rt));
        }
        let rt = Rc::new(self.new_runtime()?);
        *self.runtime.borrow_mut() = Some(Rc::clone(&rt));
        Ok(rt)
    }

    /// Runs `future` on the case's runtime and returns its output.
    ///
    /// # Errors
    ///
    /// Building the runtime failed, or the executor refused to `block_on`.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, Failure> {
        self.runtime()?.block_on(future)
    }

    /// Ends the case: tears the runtime and bare reactors down and checks
    /// that nothing leaked.
    pub(crate) fn teardown(self) -> Outcome {
        let mut outcome = Ok(());
        if let Some(rt) = self.runtime.borrow_mut().take() {
            match Rc::try_unwrap(rt) {
                Ok(rt) => outcome = rt.teardown(),
                Err(_) => {
                    outcome = Err(Failure::new(
                        "the case kept a reference to its runtime past its end",
                    ))
                }
            }
        }
        for reactor in self.bare.borrow_mut().drain(..) {
            let stats = reactor.stats();
            reactor.shutdown();
            if outcome.is_ok() && (stats.registrations != 0 || stats.timers != 0) {
                outcome = Err(Failure::new(format!(
                    "a bare reactor leaked {} registrations and {} timers",
                    stats.registrations, stats.timers
                )));
            }
        }
        outcome
    }
}
