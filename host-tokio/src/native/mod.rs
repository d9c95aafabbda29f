//! [`TokioReactor`]: the native road, baton's readiness table over tokio's
//! own reactor.

mod reactor;
mod sys;

pub use self::reactor::TokioReactor;
