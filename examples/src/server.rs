//! The accept loop the servers share: one task per connection.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use baton_protocol::net::{TcpListener, TcpStream};
use baton_protocol::{Error, spawn, time::sleep};

/// How long accepting pauses after a failure such as `EMFILE`, so that a
/// process out of file descriptors does not spin on its listener.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Accepts connections forever, running `serve(stream, peer)` as a task of
/// its own for each (its `JoinHandle` is dropped: the task is detached).
///
/// A failed `accept` (out of file descriptors, a connection aborted before
/// it was accepted) is printed to standard error and accepting goes on
/// after a short pause: one bad moment must not end the server.
///
/// # Errors
///
/// Only what ends the runtime: [`Error::Shutdown`] (or the listener closed
/// through the protocol), and spawn failures.
pub(crate) async fn accept_loop<F, Fut>(listener: &TcpListener, mut serve: F) -> Result<(), Error>
where
    F: FnMut(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                // Small requests and replies: don't let Nagle hold them back.
                if let Err(e) = stream.set_nodelay(true) {
                    eprintln!("warning: TCP_NODELAY for {peer}: {e}");
                }
                spawn(serve(stream, peer))?.detach();
            }
            Err(e) => match Error::from(e) {
                fatal @ (Error::Shutdown | Error::Closed | Error::NoRuntime) => return Err(fatal),
                other => {
                    eprintln!("warning: accept failed: {other}");
                    sleep(ACCEPT_BACKOFF).await?;
                }
            },
        }
    }
}

/// Whether an I/O error only says that the peer went away, which servers
/// treat as the end of a connection, not as a failure worth printing.
pub(crate) fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}
