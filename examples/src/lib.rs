//! Programs built on baton, and the portable library code behind them.
//!
//! Every example module here is written against `baton-protocol` only: it
//! runs on whichever reactor and executor the application (or the test)
//! picks.
//!
//! - [`retry`]: connecting to a TCP server with exponential backoff, tested
//!   under virtual time and fault injection (`tests/retry_*.rs`).
//! - [`echo`]: a TCP echo server and a client reporting round trips per
//!   second (binary `echo`).
//! - [`resp`]: a key-value server speaking RESP2, driven by `redis-cli` and
//!   `redis-benchmark` (binary `resp`).
//! - [`chat`]: a line-based chat room (binary `chat`).
//! - [`http`]: an HTTP/1.1 and h2c server on hyper, with deadlines
//!   against slow clients and a graceful shutdown, and a client (binary
//!   `http`).
//! - [`deadlock`]: two tasks that wait for each other, and the task dump
//!   that names them (binary `deadlock`; `kill -QUIT` it with
//!   `--debug-dump`).
//! - [`sleep_heap`]: many sleeping tasks, woken in deadline order (binary
//!   `sleep_heap`).
//! - [`step`]: the design note's IPython session, stepped by hand with
//!   `Stepper` (binary `step`).
//!
//! The binaries (`src/bin/`) are thin: they parse their flags ([`cli`]),
//! pick the reactor and executor at run time with the facade's
//! [`RuntimeOptions`](baton::RuntimeOptions) (`--reactor`, `--executor`,
//! `--workers`, or `BATON_REACTOR`, `BATON_EXECUTOR`, `BATON_WORKERS`), then
//! run the portable code.

pub mod chat;
pub mod cli;
pub mod deadlock;
pub mod echo;
pub mod http;
pub mod resp;
pub mod retry;
mod server;
pub mod sleep_heap;
pub mod step;
