//! `http server`: an HTTP/1.1 and h2c server on hyper; `http client`: one
//! request with hyper's client. Run `http --help`.

use std::process::ExitCode;

use baton::RuntimeOptions;
use baton_examples::cli::{self, Exit, Flags, Listen};
use baton_examples::http::server::Drained;
use baton_examples::http::signal::Signals;
use baton_examples::http::{self, Config, Version};
use baton_protocol::dump::DumpSignal;
use baton_protocol::net::TcpListener;
use hyper::Uri;
use hyper::body::Bytes;
use lexopt::{Parser, ValueExt};

fn usage() -> String {
    format!(
        "\
http: an HTTP/1.1 and HTTP/2 (h2c) server on hyper, and a client.

usage:
  http server [--port N] [--header-timeout SECS] [--idle-timeout SECS]
              [--drain-timeout SECS] [--debug-dump] [runtime flags]
  http client --url http://IP:PORT/PATH [--http2] [--data TEXT] [runtime flags]

server (prints `http: listening on ADDR (...)` once bound; routes: / (hello),
/echo (the body back), /sleep?ms=N; SIGINT or SIGTERM: stop accepting, drain,
exit 0):
{listen}  --header-timeout SECS  an HTTP/1 request head must arrive within SECS [default: 10]
  --idle-timeout SECS    close a connection idle (no request in flight) for SECS [default: 60]
  --drain-timeout SECS   on shutdown, wait SECS for requests in flight [default: 10]
  --debug-dump           on SIGQUIT (`kill -QUIT <pid>`, or Ctrl-\\), print a dump of
                         every task (what each waits on) to standard error, and
                         keep serving
client (prints `STATUS VERSION` and the body; fails unless the status is 2xx):
  --url URL           the URL to fetch (required)
  --http2             speak HTTP/2 with prior knowledge (h2c)
  --data TEXT         POST TEXT instead of a GET

{runtime}
  -h, --help          this text
",
        listen = Listen::new(8080).help(),
        runtime = RuntimeOptions::HELP,
    )
}

/// The server's deadlines, and `--debug-dump`, as flags.
struct Deadlines(Config, bool);

impl Flags for Deadlines {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        match name {
            "header-timeout" => self.0.header_read_timeout = cli::seconds(parser)?,
            "idle-timeout" => self.0.idle_timeout = cli::seconds(parser)?,
            "drain-timeout" => self.0.drain_timeout = cli::seconds(parser)?,
            "debug-dump" => self.1 = true,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The client's flags.
#[derive(Default)]
struct Client {
    url: Option<Uri>,
    version: Version,
    data: Option<String>,
}

impl Flags for Client {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        match name {
            "url" => self.url = Some(cli::value(parser)?),
            "http2" => self.version = Version::Http2,
            "data" => self.data = Some(parser.value()?.string()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn main() -> ExitCode {
    let usage = usage();
    cli::main(&usage, |parser| {
        let mode = cli::mode(parser, "http", ["server", "client"])?;
        let mut runtime = cli::runtime_options()?;
        match mode.as_str() {
            "server" => {
                let mut listen = Listen::new(8080);
                let mut deadlines = Deadlines(Config::default(), false);
                cli::parse_flags(parser, &mut [&mut listen, &mut deadlines, &mut runtime])?;
                let rt = runtime.build()?;
                // Kept until the server returns: `kill -QUIT` dumps till then.
                let _dumps = match deadlines.1 {
                    true => Some(rt.handle().dump_on_signal(DumpSignal::Quit)?),
                    false => None,
                };
                rt.block_on(async {
                    let mut signals = Signals::new()?;
                    let listener = TcpListener::bind(listen.addr())?;
                    cli::announce("http", listener.local_addr()?, &runtime.to_string());
                    let stop = async {
                        if let Err(e) = signals.recv().await {
                            eprintln!("http: waiting for signals failed: {e}; stopping");
                        }
                        println!("http: shutting down: no new connections, draining");
                    };
                    match http::serve(&listener, deadlines.0, stop).await? {
                        Drained::Clean => println!("http: drained"),
                        Drained::Cancelled(n) => {
                            println!("http: drain deadline passed: {n} connections cancelled")
                        }
                    }
                    Ok(())
                })
            }
            "client" => {
                let mut client = Client::default();
                cli::parse_flags(parser, &mut [&mut client, &mut runtime])?;
                let url = client
                    .url
                    .ok_or_else(|| Exit::Usage("the client needs --url URL".to_owned()))?;
                let rt = runtime.build()?;
                let body = client.data.map(Bytes::from);
                let fetched = rt
                    .block_on(http::fetch(&url, client.version, body))
                    .map_err(|e| Exit::Failed(format!("{url}: {e}")))?;
                print!("{fetched}");
                if fetched.status.is_success() {
                    Ok(())
                } else {
                    Err(Exit::Failed(format!("{url}: status {}", fetched.status)))
                }
            }
            other => Err(Exit::Usage(format!(
                "unknown mode {other:?}: say `server` or `client`"
            ))),
        }
    })
}
