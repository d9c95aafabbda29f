//! The reactor type: reactor-kit's [`Driver`] over the tokio glue.

use std::task::{Context, Poll};

use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::TimerKey;
use baton_protocol::{Error, Reactor};
use baton_reactor_kit::Driver;

use super::sys::Tokio;

/// A reactor whose sources are registered with tokio's own reactor (the
/// *native road*): each registration is a tokio `AsyncFd`, so readiness
/// reaches a protocol task the way it reaches a tokio socket's task, from
/// tokio's one `epoll_wait`, with no second poller to wait on.
///
/// What tokio does not give, reactor-kit's readiness table keeps: the
/// cached readiness per direction and its [`Tick`](baton_protocol::reactor::Tick),
/// every waiter of a direction (tokio keeps one per `poll_*_ready`
/// caller), end of stream for good, keys that are never reused, and the
/// protocol's errors for bad input. tokio's readiness is consumed (its
/// guard cleared) at the moment the table records it as an event with a
/// new tick, so `clear_ready` with a stale tick never clears a newer
/// event: tokio's own tick protects the consumption, the table's the
/// clear. A clear without a drain (`clear_ready`, not `clear_drained`)
/// leaves data tokio will not report again, so the next poll asks the fd
/// itself (`poll(2)`, zero timeout), as an epoll reactor re-arms.
///
/// Timers and `unpark` stay baton's (the kit's timer wheel, an eventfd in
/// a small epoll of their own): its [`guest_fd`](Reactor::guest_fd) turns
/// readable only for an unpark, and a [`TokioHost`](crate::TokioHost)
/// runs its turns as for any guest (for the timers, and to consume
/// unparks).
///
/// The registrations join the tokio runtime current when the reactor is
/// made, or else the one current at the first registration; a
/// registration with neither fails with [`Error::NoRuntime`]. Use it with a
/// [`TokioHost`](crate::TokioHost) on that runtime.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use baton_host_tokio::{TokioHost, TokioReactor};
///
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let host = TokioHost::start(Arc::new(TokioReactor::new()?))?;
///     let echoed = host
///         .run(async {
///             let listener = baton_protocol::net::TcpListener::bind(([127, 0, 0, 1], 0))?;
///             let addr = listener.local_addr()?;
///             let client = baton_protocol::spawn(async move {
///                 let mut stream = baton_protocol::net::TcpStream::connect(addr).await?;
///                 futures_lite::AsyncWriteExt::write_all(&mut stream, b"ping").await?;
///                 Ok::<_, std::io::Error>(())
///             })?;
///             let (mut conn, _) = listener.accept().await?;
///             let mut buf = [0; 4];
///             futures_lite::AsyncReadExt::read_exact(&mut conn, &mut buf).await?;
///             client.await?.map_err(baton_protocol::Error::from)?;
///             Ok::<_, baton_protocol::Error>(buf)
///         })
///         .await?;
///     assert_eq!(&echoed, b"ping");
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct TokioReactor(Driver<Tokio>);

impl TokioReactor {
    /// A reactor whose registrations join the current tokio runtime (or,
    /// made outside one, the runtime current at the first registration).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the OS refuses the reactor's own epoll or eventfd.
    pub fn new() -> Result<TokioReactor, Error> {
        Driver::new().map(TokioReactor)
    }
}

impl Decorator for TokioReactor {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.0
    }

    /// The driver's single call: this type overrides neither half.
    fn poll_timer_once(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner().poll_timer_once(key, cx)
    }
}
