//! [`Hosted`]: a future with a host's protocol runtime entered around each
//! of its polls, what a host's `run` returns.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use baton_protocol::Handle;

pin_project_lite::pin_project! {
    /// A future with a host entered around each poll: what protocol code
    /// awaited inside a task of a runtime baton does not own needs.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use baton_protocol::Handle;
    /// use baton_reactor_kit::Hosted;
    ///
    /// /// Sleeps on `handle`'s runtime from a task of another one.
    /// async fn nap(handle: Handle) -> Result<(), baton_protocol::Error> {
    ///     Hosted::new(handle, baton_protocol::time::sleep(Duration::from_millis(1))).await
    /// }
    /// # let _ = nap;
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Hosted<F> {
        handle: Handle,
        #[pin]
        future: F,
    }
}

impl<F> Hosted<F> {
    /// `future`, with `handle` entered around each of its polls.
    pub fn new(handle: Handle, future: F) -> Hosted<F> {
        Hosted { handle, future }
    }
}

impl<F: Future> Future for Hosted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.handle.enter();
        this.future.poll(cx)
    }
}

impl<F> fmt::Debug for Hosted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hosted")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
