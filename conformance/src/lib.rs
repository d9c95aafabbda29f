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
pub use crate::spec::{Executor, ExecutorSpec, Need, Pair, ReactorSpec};
