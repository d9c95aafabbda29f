//! Reactors: the protocol's [`Reactor`] trait and the reactors this crate
//! was built with (cargo features `epoll` and `poll`, both on by default).
//!
//! Most programs name none of these: [`RuntimeOptions`](crate::RuntimeOptions)
//! picks one by [`ReactorKind`](crate::rt::ReactorKind). Build one by hand
//! to wrap it in a decorator, or to give it to an executor's builder.
//!
//! # Examples
//!
//! ```
//! use baton::executor::LocalExecutor;
//! use baton::reactor::EpollReactor;
//!
//! # fn main() -> Result<(), baton::Error> {
//! let ex = LocalExecutor::new(EpollReactor::new()?);
//! let answer = ex.block_on(async { 6 * 7 })?;
//! assert_eq!(answer, 42);
//! # Ok(()) }
//! ```

#[doc(no_inline)]
pub use baton_protocol::reactor::{Direction, Interest, Reactor};
#[cfg(feature = "epoll")]
#[doc(no_inline)]
pub use baton_reactor_epoll::EpollReactor;
#[cfg(feature = "poll")]
#[doc(no_inline)]
pub use baton_reactor_poll::PollReactor;
#[cfg(feature = "uring")]
#[doc(no_inline)]
pub use baton_reactor_uring::UringReactor;
