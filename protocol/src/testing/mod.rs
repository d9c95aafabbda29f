//! Tools for driving futures by hand: [`Stepper`], the design note's
//! `coro.send(None)`.
//!
//! An executor resumes a task by calling `poll` with a `Waker`, as asyncio's
//! `Task` resumes a coroutine with `send(None)`. [`Stepper`] lets a test (or
//! a curious reader) do the same by hand: poll once, look at what the future
//! says it waits on, complete that by hand, check that the future asked to be
//! woken, and poll again.
//!
//! # The design note's session, in Rust
//!
//! The note steps `asyncio.sleep(1)` in IPython:
//!
//! ```text
//! In [59]: x=asyncio.sleep(1)
//! In [60]: q=x.send(None)
//! In [61]: q
//! Out[61]: <Future pending>
//! In [62]: q.done()
//! Out[62]: False
//! In [63]: q.set_result({'a':1})
//! In [64]: q.done()
//! Out[64]: True
//! In [65]: q
//! Out[65]: <Future finished result={'a': 1}>
//! ```
//!
//! Here the coroutine awaits a [`Promise`](crate::Promise) that we hold, and
//! `send(None)` is [`Stepper::step`]. Where Python's `send` hands back the
//! Future the coroutine yielded, the step reports *which* Promise it waits on,
//! [`WaitFor::Promise`](crate::wait::WaitFor::Promise) with its id:
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use baton_protocol::Promise;
//! use baton_protocol::testing::{Step, Stepper};
//! use baton_protocol::wait::WaitFor;
//!
//! let q = Promise::<BTreeMap<&str, i32>>::new();
//! // In [59]: x = a coroutine awaiting q
//! let mut x = Stepper::new({
//!     let q = q.clone();
//!     async move { q.await }
//! });
//! // In [60]: x.send(None) -- it suspends, saying what it waits on
//! let step = x.step();
//! assert_eq!(step.waits_on(), Some(WaitFor::Promise(q.id())));
//! assert_eq!(step.waits_on().unwrap().to_string(), format!("promise {}", q.id()));
//! // In [61], [62]
//! assert_eq!(format!("{q:?}"), "<Promise pending>");
//! assert!(!q.done());
//! assert!(!x.woken());
//! // In [63]: q.set_result({'a': 1}) -- by hand, as the event loop would
//! q.set_result(BTreeMap::from([("a", 1)]))?;
//! // In [64], [65]
//! assert!(q.done());
//! assert_eq!(format!("{q:?}"), r#"<Promise finished result={"a": 1}>"#);
//! // The coroutine asked to be resumed; resume it: it returns the value.
//! assert!(x.woken());
//! assert_eq!(x.step().ready().transpose()?, Some(BTreeMap::from([("a", 1)])));
//! // Python raises StopIteration on a further send; the stepper says so.
//! assert!(matches!(x.step(), Step::Finished));
//! # Ok::<(), baton_protocol::Error>(())
//! ```
//!
//! # Generator-based and native coroutines, driven the same way
//!
//! The note contrasts `@types.coroutine` generators with `async def`. Their
//! Rust counterparts are a hand-written [`Future`] with
//! its own `poll`, and an `async fn`; a stepper drives both alike:
//!
//! ```
//! use std::future::{Future, IntoFuture};
//! use std::pin::Pin;
//! use std::task::{Context, Poll, ready};
//!
//! use baton_protocol::promise::{Promise, Wait};
//! use baton_protocol::testing::Stepper;
//! use baton_protocol::Error;
//!
//! /// "Generator-based": `poll` suspends (the note's `yield self`) until
//! /// the Promise is done, then returns twice its value.
//! struct Doubled {
//!     wait: Wait<u32>,
//! }
//!
//! impl Future for Doubled {
//!     type Output = Result<u32, Error>;
//!
//!     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
//!         let value = ready!(Pin::new(&mut self.wait).poll(cx))?;
//!         Poll::Ready(Ok(value * 2))
//!     }
//! }
//!
//! /// Native: the compiler writes the same `poll`.
//! async fn doubled(promise: Promise<u32>) -> Result<u32, Error> {
//!     Ok(promise.await? * 2)
//! }
//!
//! let promise = Promise::new();
//! let mut generator = Stepper::new(Doubled { wait: promise.clone().into_future() });
//! let mut native = Stepper::new(doubled(promise.clone()));
//! assert!(generator.step().is_pending());
//! assert!(native.step().is_pending());
//!
//! promise.set_result(21)?;
//! assert!(generator.woken() && native.woken());
//! assert_eq!(generator.step().ready().transpose()?, Some(42));
//! assert_eq!(native.step().ready().transpose()?, Some(42));
//! # Ok::<(), Error>(())
//! ```

mod step;
mod stepper;

pub use step::Step;
pub use stepper::Stepper;
