//! `resp`: a key-value server speaking RESP2, for `redis-cli` and
//! `redis-benchmark`. Run `resp --help`.

use std::process::ExitCode;

use baton::RuntimeOptions;
use baton_examples::cli::{self, Bytes, Flags, Listen};
use baton_examples::resp::{self, Config};
use baton_protocol::net::TcpListener;
use lexopt::Parser;

fn usage() -> String {
    let d = Config::default();
    format!(
        "\
resp: a key-value server speaking RESP2, the Redis protocol.
Commands: PING ECHO SET GET DEL EXISTS INCR DECR MGET MSET EXPIRE TTL DBSIZE FLUSHDB QUIT.
Try: redis-cli -p PORT set greeting hello ex 60; redis-benchmark -p PORT -q -P 16

usage: resp [--bind ADDR] [--port N] [limits] [runtime flags]

Prints `resp: listening on ADDR (...)` once bound.
{listen}
limits (sizes take Redis' units: 512, 64kb, 16mb, 1gb):
  --proto-max-bulk-len SIZE         longest bulk string [default: {bulk}]
  --max-args N                      most arguments in one command [default: {args}]
  --client-query-buffer-limit SIZE  most unparsed input one client may hold;
                                    past it the client is closed [default: {query}]
  --client-output-limit SIZE        longest pending reply; past it the client
                                    is closed [default: {output}]
  --maxclients N                    most clients at once [default: {clients}]

{runtime}
  -h, --help                        this text
",
        listen = Listen::new(6380).help(),
        bulk = Bytes(d.proto.max_bulk_len),
        args = d.proto.max_args,
        query = Bytes(d.query_buffer_limit),
        output = Bytes(d.output_limit),
        clients = d.max_clients,
        runtime = RuntimeOptions::HELP,
    )
}

/// The limit flags.
struct Limits(Config);

impl Flags for Limits {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        let positive = |n: &usize| cli::at_least(n, 1);
        let config = &mut self.0;
        match name {
            "proto-max-bulk-len" => {
                config.proto.max_bulk_len =
                    cli::checked(parser, |b: &Bytes| cli::at_least(b, Bytes(1)))?.0;
            }
            "max-args" => config.proto.max_args = cli::checked(parser, positive)?,
            "client-query-buffer-limit" => {
                config.query_buffer_limit = cli::value::<Bytes>(parser)?.0
            }
            "client-output-limit" => config.output_limit = cli::value::<Bytes>(parser)?.0,
            "maxclients" => config.max_clients = cli::checked(parser, positive)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn main() -> ExitCode {
    let usage = usage();
    cli::main(&usage, |parser| {
        let mut listen = Listen::new(6380);
        let mut limits = Limits(Config::default());
        let mut runtime = cli::runtime_options()?;
        cli::parse_flags(parser, &mut [&mut listen, &mut limits, &mut runtime])?;
        let config = limits.0;
        config.validate()?;
        let rt = runtime.build()?;
        rt.block_on(async {
            let listener = TcpListener::bind(listen.addr())?;
            cli::announce("resp", listener.local_addr()?, &runtime.to_string());
            resp::serve(&listener, config)
                .await
                .map_err(cli::Exit::from)
        })
    })
}
