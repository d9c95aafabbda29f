//! The accept loop the servers share: one task per connection.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use baton_protocol::net::{TcpListener, TcpStream};
use baton_protocol::{Error, spawn};

/// Accepts connections forever, running `serve(stream, peer)` as a task of
/// its own for each (its `JoinHandle` is dropped: the task is detached).
///
/// A failed `accept` (out of file descriptors, a connection aborted before
/// it was accepted) is printed to standard error and accepting goes on: one
/// bad moment must not end the server. No pause is needed here: after
/// `EMFILE` and the like the listener itself waits before it tries again
/// ([`MIN_ACCEPT_BACKOFF`](baton_protocol::net::MIN_ACCEPT_BACKOFF)), so
/// the loop does not spin while the process is out of file descriptors.
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
                other => eprintln!("warning: accept failed: {other}"),
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
