//! `echo server`: a TCP echo server; `echo client`: round trips per second
//! against it. Run `echo --help`.

use std::process::ExitCode;
use std::time::Duration;

use baton::RuntimeOptions;
use baton_examples::cli::{self, Exit, Flags, Listen};
use baton_examples::echo::{self, ClientConfig, Limit};
use baton_protocol::net::TcpListener;
use lexopt::Parser;

fn usage() -> String {
    format!(
        "\
echo: a TCP echo server, and a client that measures round trips per second.

usage:
  echo server [--bind ADDR] [--port N] [runtime flags]
  echo client --addr HOST:PORT [--connections N] [--size BYTES]
              [--count N | --duration SECS] [--timeout SECS] [runtime flags]

server (prints `echo: listening on ADDR (...)` once bound):
{listen}
client (prints `echo client: N round trips in S s: R round trips/s, ...`):
  --addr HOST:PORT    the server to measure (required)
  --connections N     connections (1 to 10000), each running round trips in turn [default: 1]
  --size BYTES        bytes per message (1 to 67108864) [default: 64]
  --count N           stop after N round trips in all [default: 10000]
  --duration SECS     stop after SECS seconds instead (fractions allowed)
  --timeout SECS      give up when a connect or a round trip takes longer [default: 10]

{runtime}
  -h, --help          this text
",
        listen = Listen::new(7000).help(),
        runtime = RuntimeOptions::HELP,
    )
}

/// The client's own flags.
struct Client {
    addr: Option<std::net::SocketAddr>,
    connections: usize,
    size: usize,
    limit: Limit,
    timeout: Duration,
}

impl Flags for Client {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        match name {
            "addr" => self.addr = Some(cli::value(parser)?),
            "connections" => {
                self.connections = cli::checked(parser, |n| cli::within(n, 1, 10_000))?
            }
            "size" => self.size = cli::checked(parser, |n| cli::within(n, 1, 64 << 20))?,
            "count" => self.limit = Limit::Count(cli::checked(parser, |n| cli::at_least(n, 1))?),
            "duration" => self.limit = Limit::Duration(cli::seconds(parser)?),
            "timeout" => self.timeout = cli::seconds(parser)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn main() -> ExitCode {
    let usage = usage();
    cli::main(&usage, |parser| {
        let mode = cli::mode(parser, "echo", ["server", "client"])?;
        let mut runtime = cli::runtime_options()?;
        match mode.as_str() {
            "server" => {
                let mut listen = Listen::new(7000);
                cli::parse_flags(parser, &mut [&mut listen, &mut runtime])?;
                let rt = runtime.build()?;
                rt.block_on(async {
                    let listener = TcpListener::bind(listen.addr())?;
                    cli::announce("echo", listener.local_addr()?, &runtime.to_string());
                    echo::serve(&listener).await.map_err(Exit::from)
                })
            }
            "client" => {
                let mut client = Client {
                    addr: None,
                    connections: 1,
                    size: 64,
                    limit: Limit::Count(10_000),
                    timeout: Duration::from_secs(10),
                };
                cli::parse_flags(parser, &mut [&mut client, &mut runtime])?;
                let addr = client
                    .addr
                    .ok_or_else(|| Exit::Usage("the client needs --addr HOST:PORT".to_owned()))?;
                let config = ClientConfig {
                    addr,
                    connections: client.connections,
                    size: client.size,
                    limit: client.limit,
                    io_timeout: client.timeout,
                };
                let rt = runtime.build()?;
                let report = rt.block_on(echo::run_client(&config))?;
                println!("echo client: {report} on {runtime}");
                Ok(())
            }
            other => Err(Exit::Usage(format!(
                "unknown mode {other:?}: say `server` or `client`"
            ))),
        }
    })
}
