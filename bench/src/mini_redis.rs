//! tokio's mini-redis as the `resp` workload's application peer:
//! `baton-bench serve-mini-redis <port>` runs `mini_redis::server::run` as
//! the crate's own `mini-redis-server` binary does (`#[tokio::main]`: the
//! multi-thread runtime, one worker per core), without its logging
//! subscriber, until its standard input closes.

use std::io::Read;
use std::net::Ipv4Addr;

/// Serves RESP with mini-redis on 127.0.0.1:`port`.
///
/// # Errors
///
/// The runtime cannot be built, the port cannot be bound, or the server
/// fails.
pub(crate) fn serve(port: u16) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::rt::workers())
        .enable_all()
        .build()
        .map_err(|e| format!("tokio: {e}"))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|e| format!("bind 127.0.0.1:{port}: {e}"))?;
        // The suite stops a server by closing its standard input.
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        });
        mini_redis::server::run(listener, stdin_closed)
            .await
            .map_err(|e| format!("mini-redis: {e}"))
    })
}
