//! `resp_tokio`: the `resp` example's server under `#[tokio::main]`. The
//! RESP core (`baton_examples::resp`) is written against `baton-protocol`
//! only; `baton-host-tokio` runs it, unchanged, on tokio's threads. Run
//! `resp_tokio --help`.

use std::process::ExitCode;
use std::sync::Arc;

use baton_examples::cli::{self, Exit, Listen};
use baton_examples::resp::{self, Config};
use baton_host_tokio::{TokioHost, TokioReactor};
use baton_protocol::net::TcpListener;

fn usage() -> String {
    format!(
        "\
resp_tokio: the resp example's key-value server (RESP2), on tokio.

usage: resp_tokio [--bind ADDR] [--port N]

Prints `resp_tokio: listening on ADDR (tokio host)` once bound.
{listen}
  -h, --help                        this text
",
        listen = Listen::new(6380).help(),
    )
}

/// Serves on `listen` until the process is killed.
async fn serve(listen: Listen) -> Result<(), Exit> {
    // The native road: the server's sockets join tokio's own reactor.
    let host = TokioHost::start(Arc::new(TokioReactor::new()?))?;
    host.run(async {
        let listener = TcpListener::bind(listen.addr())?;
        cli::announce("resp_tokio", listener.local_addr()?, "tokio host");
        resp::serve(&listener, Config::default()).await
    })
    .await
    .map_err(Exit::from)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut listen = None;
    let usage = usage();
    let parsed = cli::main(&usage, |parser| {
        let mut flags = Listen::new(6380);
        cli::parse_flags(parser, &mut [&mut flags])?;
        listen = Some(flags);
        Ok(())
    });
    let Some(listen) = listen else {
        return parsed;
    };
    cli::exit_code(&usage, serve(listen).await)
}
