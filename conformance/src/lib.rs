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
//! Run the whole suite on your own reactor (here baton's own stands in for
//! it) with your own executor, as the `main` of a binary or of a
//! `harness = false` test:
//!
//! ```no_run
//! use std::process::ExitCode;
//! use baton_conformance::{ExecutorSpec, ReactorSpec, Suite};
//! # use baton_conformance::Executor;
//! # fn my_reactor() -> Result<impl baton_protocol::Reactor + 'static, baton_protocol::Error> {
//! #     Err::<baton_protocol::testing::InertReactor, _>(baton_protocol::Error::NoRuntime)
//! # }
//! # struct MyExecutor;
//! # impl Executor for MyExecutor {
//! #     fn handle(&self) -> baton_protocol::Handle { unimplemented!() }
//! #     fn block_on(&self, _: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>) -> Result<(), baton_protocol::Error> { Ok(()) }
//! #     fn shutdown(&self) -> Result<(), baton_protocol::Error> { Ok(()) }
//! # }
//! # impl MyExecutor { fn new(_: std::sync::Arc<dyn baton_protocol::Reactor>) -> Result<Self, baton_protocol::Error> { Ok(MyExecutor) } }
//!
//! fn main() -> ExitCode {
//!     Suite::new()
//!         .reactor(ReactorSpec::new("mine", |_seed| my_reactor()))
//!         .executor(ExecutorSpec::new("my-exec", |reactor, _seed| MyExecutor::new(reactor)))
//!         .main()
//! }
//! ```
//!
//! `MyExecutor` implements [`Executor`]: `handle`, `block_on` and `shutdown`.
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
