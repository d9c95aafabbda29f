//! `Awaitable`: the protocol's name for "can be awaited".
//!
//! # From the design note's Python to Rust
//!
//! | Python (asyncio)                                          | Rust (baton)                                  |
//! |-----------------------------------------------------------|-----------------------------------------------|
//! | an awaitable: an object with `__await__`                  | a type implementing [`IntoFuture`]            |
//! | `__await__` returns an iterator (`asyncio.Future` returns itself) | [`IntoFuture::into_future`] returns a [`Future`] (a `Future` is its own `IntoFuture`) |
//! | `yield self  # This tells Task to wait for completion.`   | `Poll::Pending`, plus [`wait::report`](crate::wait::report) saying what it waits on |
//! | `Task` calling `coro.send(None)`                          | an executor calling [`Future::poll`] with a `Waker` |
//! | `future.set_result(v)` then the loop resumes the Task     | [`Promise::set_result`](crate::Promise::set_result) wakes the stored `Waker` |
//! | `await x` / `yield from x`                                | `x.await`                                     |
//! | generator-based coroutine (`@types.coroutine`)            | a hand-written `impl Future` with its own `poll` |
//! | native coroutine (`async def`)                            | an `async fn` / `async` block                 |
//! | asyncio's error when a coroutine yields a non-Future      | the executor's lost-waker check: `Pending` with no waker kept |
//!
//! Python checks at run time (`GET_AWAITABLE`) that the operand of `await`
//! is awaitable; Rust checks it at compile time through `IntoFuture`. What
//! Python cannot check at all, and Rust cannot either, is whether a coroutine
//! that suspends has arranged to be resumed: that is the lost-waker check.

use std::future::IntoFuture;

/// Anything that can be awaited: exactly the types implementing
/// [`IntoFuture`], named after the design note's "Awaitable object".
///
/// Use it as a bound in APIs that take "something to await", to read like
/// the protocol's vocabulary.
///
/// # Examples
///
/// ```
/// use baton_protocol::Awaitable;
///
/// async fn twice<A: Awaitable<Output = u32>>(a: A) -> u32 {
///     a.await * 2
/// }
/// # let _ = twice(async { 21 });
/// ```
pub trait Awaitable: IntoFuture {}

impl<T: IntoFuture> Awaitable for T {}
