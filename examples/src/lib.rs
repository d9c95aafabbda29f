//! Programs built on baton, and the portable library code behind them.
//!
//! Every module here is written against `baton-protocol` only: it runs on
//! whichever reactor and executor the application (or the test) picks.
//!
//! - [`retry`]: connecting to a TCP server with exponential backoff, tested
//!   under virtual time and fault injection (`tests/retry_*.rs`).

pub mod retry;
