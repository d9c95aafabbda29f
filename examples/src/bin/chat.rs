//! `chat`: a line-based chat room. Run `chat --help`.

use std::process::ExitCode;

use baton::RuntimeOptions;
use baton_examples::chat::{self, Config, MAX_NAME};
use baton_examples::cli::{self, Bytes, Flags, Listen};
use baton_protocol::net::TcpListener;
use lexopt::Parser;

fn usage() -> String {
    let d = Config::default();
    format!(
        "\
chat: a line-based chat room; every line a client sends goes to every other client.
Try: nc 127.0.0.1 PORT   (first line: your name, 1 to {MAX_NAME} bytes; /quit to leave)

usage: chat [--bind ADDR] [--port N] [--queue N] [--max-line SIZE] [runtime flags]

Prints `chat: listening on ADDR (...)` once bound.
{listen}  --queue N           lines queued for a client; a client whose queue is full
                      is disconnected as too slow (1 to 1048576) [default: {queue}]
  --max-line SIZE     longest line a client may send, at most 16mb [default: {line}]

{runtime}
  -h, --help          this text
",
        listen = Listen::new(7070).help(),
        queue = d.queue_len,
        line = Bytes(d.max_line),
        runtime = RuntimeOptions::HELP,
    )
}

/// The room's flags.
struct Room(Config);

impl Flags for Room {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        match name {
            "queue" => self.0.queue_len = cli::checked(parser, |n| cli::within(n, 1, 1 << 20))?,
            "max-line" => {
                let limit = |b: &Bytes| cli::within(b, Bytes(1), Bytes(16 << 20));
                self.0.max_line = cli::checked(parser, limit)?.0;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn main() -> ExitCode {
    let usage = usage();
    cli::main(&usage, |parser| {
        let mut listen = Listen::new(7070);
        let mut room = Room(Config::default());
        let mut runtime = cli::runtime_options()?;
        cli::parse_flags(parser, &mut [&mut listen, &mut room, &mut runtime])?;
        let rt = runtime.build()?;
        rt.block_on(async {
            let listener = TcpListener::bind(listen.addr())?;
            cli::announce("chat", listener.local_addr()?, &runtime.to_string());
            chat::serve(&listener, room.0)
                .await
                .map_err(cli::Exit::from)
        })
    })
}
