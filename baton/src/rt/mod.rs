//! Building and running a runtime: the run-time choice
//! ([`RuntimeOptions`]), the built [`Runtime`], [`block_on`], and the
//! functions `#[baton::main]` and `#[baton::test]` expand to ([`main`],
//! `test`).
//!
//! # Errors, and why there is no `??`
//!
//! A runtime fails in two places: when it is built (no poller, no
//! threads) and when it is misused (`block_on` inside itself, or on a
//! worker of another runtime). The first is reported once, by
//! [`RuntimeOptions::build`]; the second is a bug in the calling code, and
//! [`Runtime::block_on`] panics on it, as tokio's does
//! ([`Runtime::try_block_on`] returns it instead). So `block_on` returns
//! the future's own output, and a root future that returns
//! `Result<T, baton::Error>` needs one `?`, not two. Every baton error
//! converts into `std::io::Error` and into `Box<dyn Error + Send + Sync>`,
//! so `?` also works in functions that return those.

#[cfg(feature = "testing")]
mod hang;
mod options;
mod runtime;
#[cfg(feature = "testing")]
mod test;

use std::future::Future;
use std::process;

pub use self::options::{
    ENV_EXECUTOR, ENV_REACTOR, ENV_WORKERS, ExecutorKind, OptionError, ReactorKind, RuntimeOptions,
};
pub use self::runtime::Runtime;
#[cfg(feature = "testing")]
pub use self::test::{Outcome, TestOptions, test};

/// Runs `future` to completion on a fresh runtime with the default
/// options (epoll, the multi-thread executor, one worker per core), and
/// returns its output; the runtime is shut down before this returns.
///
/// Like `smol::block_on`: the shortest way from `main` to async code. For
/// another reactor or executor, or to get build errors as values, use
/// [`RuntimeOptions`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let slept = baton::block_on(async {
///     baton::sleep(Duration::from_millis(1)).await?;
///     Ok::<_, baton::Error>("done")
/// });
/// assert_eq!(slept.ok(), Some("done"));
/// ```
///
/// # Panics
///
/// If the runtime cannot be built (the OS refuses a poller or a thread),
/// or on the misuse [`Runtime::block_on`] panics on (from inside another
/// runtime's worker, say); and if `future` panics.
pub fn block_on<F: Future>(future: F) -> F::Output {
    match RuntimeOptions::default().build() {
        Ok(rt) => rt.block_on(future),
        Err(e) => panic!("baton: cannot build the default runtime: {e}"),
    }
}

/// What `#[baton::main]` runs: `options` overridden from the environment
/// ([`RuntimeOptions::with_env`]), built, and `future` run to completion
/// on it; its output is `main`'s.
///
/// A bad `BATON_*` variable prints `error: BATON_REACTOR="kqueue": expected
/// epoll or poll` and exits with status 2 (a usage error, as the examples'
/// flags do); a runtime that cannot be built prints the reason and exits
/// with status 1.
///
/// # Panics
///
/// On the misuse [`Runtime::block_on`] panics on, and if `future` panics.
pub fn main<F: Future>(options: RuntimeOptions, future: F) -> F::Output {
    let options = match options.with_env() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e}");
            process::exit(2);
        }
    };
    match options.build() {
        Ok(rt) => rt.block_on(future),
        Err(e) => {
            eprintln!("error: cannot build the runtime ({options}): {e}");
            process::exit(1);
        }
    }
}
