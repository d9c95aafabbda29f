//! `resp_smol`: the `resp` example's server on smol (async-executor with
//! one executor thread per core, async-io). The RESP core
//! (`baton_examples::resp`) is written against `baton-protocol` only;
//! `baton-host-smol` runs it, unchanged. Run `resp_smol --help`.

use std::process::ExitCode;
use std::sync::Arc;

use async_executor::Executor;
use baton::reactor::EpollReactor;
use baton_examples::cli::{self, Exit, Listen};
use baton_examples::resp::{self, Config};
use baton_host_smol::SmolHost;
use baton_protocol::net::TcpListener;

fn usage() -> String {
    format!(
        "\
resp_smol: the resp example's key-value server (RESP2), on smol.

usage: resp_smol [--bind ADDR] [--port N]

Prints `resp_smol: listening on ADDR (smol host)` once bound.
{listen}
  -h, --help                        this text
",
        listen = Listen::new(6380).help(),
    )
}

/// Serves on `listen` until the process is killed: the executor runs on
/// this thread and on one more per extra core, as smol's own examples do.
fn serve(listen: &Listen) -> Result<(), Exit> {
    let ex = Arc::new(Executor::new());
    let host = SmolHost::start(&ex, Arc::new(EpollReactor::new()?))?;
    let extra = std::thread::available_parallelism().map_or(1, usize::from) - 1;
    for i in 0..extra {
        let ex = Arc::clone(&ex);
        std::thread::Builder::new()
            .name(format!("smol-{i}"))
            .spawn(move || async_io::block_on(ex.run(std::future::pending::<()>())))?;
    }
    host.block_on(&ex, async {
        let listener = TcpListener::bind(listen.addr())?;
        cli::announce("resp_smol", listener.local_addr()?, "smol host");
        resp::serve(&listener, Config::default()).await
    })
    .map_err(Exit::from)
}

fn main() -> ExitCode {
    let usage = usage();
    cli::main(&usage, |parser| {
        let mut listen = Listen::new(6380);
        cli::parse_flags(parser, &mut [&mut listen])?;
        serve(&listen)
    })
}
