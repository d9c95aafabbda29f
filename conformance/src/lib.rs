//! The conformance suite of the baton await protocol, as a library any
//! reactor or executor can run.
//!
//! Every case pins down one contract of `baton-protocol` (DESIGN.md's
//! contracts and Decisions) and runs on every reactor × executor pair it is
//! given. Each pair runs in child processes with a watchdog per case, so a
//! hang or a crash fails its cell, never the run; after each case the harness
//! checks that file descriptors, threads, registrations and timers are back
//! where they were. baton runs it with `cargo xtask conformance`; a backend
//! author runs it on a new reactor or executor in a few lines.
//!
//! # Examples
//!
//! Run the whole suite on your own reactor and executor, as the `main` of a
//! binary or of a `harness = false` test. Here baton's epoll reactor and
//! local executor stand in for yours; an executor is adapted by three
//! methods (its handle, `block_on` and shutdown):
//!
//! ```no_run
//! use std::future::Future;
//! use std::pin::Pin;
//! use std::process::ExitCode;
//!
//! use baton_conformance::{Executor, ExecutorSpec, ReactorSpec, Suite};
//! use baton_executor::LocalExecutor;
//! use baton_protocol::{Error, Handle};
//! use baton_reactor_epoll::EpollReactor;
//!
//! struct Mine(LocalExecutor);
//!
//! impl Executor for Mine {
//!     fn handle(&self) -> Handle {
//!         self.0.handle().clone()
//!     }
//!     fn block_on(&self, f: Pin<Box<dyn Future<Output = ()> + '_>>) -> Result<(), Error> {
//!         self.0.block_on(f)
//!     }
//!     fn shutdown(&self) -> Result<(), Error> {
//!         self.0.shutdown()
//!     }
//! }
//!
//! fn main() -> ExitCode {
//!     Suite::new()
//!         .reactor(ReactorSpec::new("mine", |_seed| EpollReactor::new()))
//!         .executor(ExecutorSpec::new("mine", |reactor, _seed| {
//!             LocalExecutor::builder().shared_reactor(reactor).build().map(Mine)
//!         }))
//!         .main()
//! }
//! ```
//!
//! The program takes the flags of `cargo xtask conformance` (`--filter`,
//! `--format json`, `--list`, …; `--help` lists them).
//!
//! # Adding cases of your own
//!
//! A backend's own contracts (a feature only it has, a bug it once had) can
//! join the built-in cases with [`Suite::case`]. They run under the same
//! harness: in the pair's child process, under the watchdog, with the
//! teardown checks for leaked fds, threads, registrations and timers, as
//! rows of the same matrix report, selected by `--filter` like any other.
//! An id already taken, built in or added before, is refused with
//! [`CaseError::Duplicate`].
//!
//! ```no_run
//! use std::process::ExitCode;
//! use std::time::Duration;
//!
//! use baton_conformance::{Case, CaseError, Ctx, ExecutorSpec, Need, Outcome, ReactorSpec, Suite};
//! use baton_conformance::{ensure, ensure_eq};
//! use baton_executor::LocalExecutor;
//! use baton_protocol::{Promise, spawn};
//! use baton_reactor_epoll::EpollReactor;
//!
//! /// A promise completed by a task is seen by its awaiter.
//! fn promise_from_task(ctx: &Ctx) -> Outcome {
//!     let value = ctx.block_on(async {
//!         let promise = Promise::new();
//!         let setter = promise.clone();
//!         spawn(async move { setter.set_result(7) })?.await??;
//!         promise.await
//!     })??;
//!     ensure_eq!(value, 7);
//!     Ok(())
//! }
//!
//! /// Timers beyond a minute are accepted.
//! fn long_timer(ctx: &Ctx) -> Outcome {
//!     let reactor = ctx.reactor()?;
//!     let key = reactor.insert_timer(reactor.now() + Duration::from_secs(90), std::task::Waker::noop())?;
//!     ensure!(reactor.cancel_timer(key), "the timer was pending");
//!     Ok(())
//! }
//!
//! fn main() -> Result<ExitCode, CaseError> {
//!     # struct Mine(LocalExecutor);
//!     # impl baton_conformance::Executor for Mine {
//!     #     fn handle(&self) -> baton_protocol::Handle { self.0.handle().clone() }
//!     #     fn block_on(&self, f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>) -> Result<(), baton_protocol::Error> { self.0.block_on(f) }
//!     #     fn shutdown(&self) -> Result<(), baton_protocol::Error> { self.0.shutdown() }
//!     # }
//!     let suite = Suite::new()
//!         .reactor(ReactorSpec::new("mine", |_seed| EpollReactor::new()))
//!         .executor(ExecutorSpec::new("mine", |reactor, _seed| {
//!             LocalExecutor::builder().shared_reactor(reactor).build().map(Mine)
//!         }))
//!         .case(Case::new("mine.promise_from_task", &[], promise_from_task))?
//!         .with_cases([
//!             Case::new("mine.long_timer", &[Need::WallClock], long_timer)
//!                 .with_summary("a 90 s timer is accepted and cancelled")
//!                 .with_watchdog(Duration::from_secs(5)),
//!         ])?;
//!     Ok(suite.main())
//! }
//! ```

#![deny(unsafe_code)]

mod case;
mod cases;
mod ctx;
mod harness;
mod registry;
mod spec;
pub mod util;

pub use crate::case::{Case, Failure, Outcome};
pub use crate::ctx::{Ctx, Runtime};
pub use crate::harness::{Cell, Column, Mutant, Options, Report, Status, Suite, Totals};
pub use crate::registry::CaseError;
pub use crate::spec::{Executor, ExecutorSpec, Need, Pair, ReactorSpec};
