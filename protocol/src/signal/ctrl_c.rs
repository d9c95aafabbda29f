//! `ctrl_c()`: the future of the next `SIGINT`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{SignalError, Signals};
use crate::Error;

/// Waits for the next `SIGINT` (Ctrl-C in a terminal).
///
/// Called inside a runtime, it starts listening at once, so a `SIGINT` that
/// arrives after the call and before the first poll is not missed; called
/// outside one (as the argument of a `block_on`), it starts at its first
/// poll. While the future lives, `SIGINT` no longer terminates the process;
/// once every listener is dropped it does again (see
/// [`Signals`](super::Signals#dropping)).
///
/// # Errors
///
/// The future resolves to [`Error::NoRuntime`] when first polled outside a
/// runtime, and to [`Error::Shutdown`] when the reactor shut down.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), baton_protocol::Error> {
/// baton_protocol::signal::ctrl_c().await?;
/// println!("interrupted: shutting down");
/// # Ok(()) }
/// ```
pub fn ctrl_c() -> CtrlC {
    let state = match Signals::new([libc::SIGINT]) {
        Ok(signals) => State::Listening(signals),
        Err(e) if is_no_runtime(&e) => State::Deferred,
        Err(e) => State::Failed(Some(e.into())),
    };
    CtrlC { state }
}

/// The future of [`ctrl_c`].
#[must_use = "futures do nothing unless awaited"]
pub struct CtrlC {
    state: State,
}

enum State {
    /// Made outside a runtime: listens from the first poll.
    Deferred,
    Listening(Signals),
    /// Listening failed; the error is returned once.
    Failed(Option<Error>),
}

impl Future for CtrlC {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let State::Deferred = self.state {
            self.state = match Signals::new([libc::SIGINT]) {
                Ok(signals) => State::Listening(signals),
                Err(e) => State::Failed(Some(e.into())),
            };
        }
        match &mut self.state {
            State::Listening(signals) => signals.poll_recv(cx).map_ok(drop),
            State::Failed(e) => Poll::Ready(Err(e
                .take()
                .unwrap_or(Error::InvalidState("ctrl_c polled after it completed")))),
            State::Deferred => Poll::Pending,
        }
    }
}

impl fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Deferred => "deferred",
            State::Listening(_) => "listening",
            State::Failed(_) => "failed",
        };
        f.debug_struct("CtrlC").field("state", &state).finish()
    }
}

fn is_no_runtime(e: &SignalError) -> bool {
    let SignalError::Io(e) = e else {
        return false;
    };
    matches!(
        e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()),
        Some(Error::NoRuntime)
    )
}
