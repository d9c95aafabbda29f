//! `retry`: connect to a TCP server that may not be up yet, waiting longer
//! after each refused attempt. Run `retry --help`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use baton::RuntimeOptions;
use baton_examples::cli::{self, Exit, Flags};
use baton_examples::retry::{self, Backoff};
use baton_protocol::net::TcpStream;
use lexopt::Parser;

fn usage() -> String {
    format!(
        "\
retry: connect to a TCP server with exponential backoff (the library code
that tests/retry_virtual_time.rs runs under virtual time). Start it before
the server: it waits 100 ms, 200 ms, 400 ms, ... between refused attempts.
Prints `retry: connected to ADDR on attempt N after S ms`.

usage: retry --addr HOST:PORT [--initial-ms MS] [--max-delay-ms MS]
             [--attempts N] [--attempt-timeout-ms MS] [runtime flags]

  --addr HOST:PORT         the server (required)
  --initial-ms MS          first wait, doubled after each failure [default: 100]
  --max-delay-ms MS        longest wait [default: 5000]
  --attempts N             attempts in all, 1 to 1000 [default: 10]
  --attempt-timeout-ms MS  longest attempt [default: 2000]

{runtime}
  -h, --help               this text
",
        runtime = RuntimeOptions::HELP,
    )
}

/// The run's flags.
struct Config {
    addr: Option<SocketAddr>,
    initial: Duration,
    max_delay: Duration,
    attempts: u32,
    attempt_timeout: Duration,
}

impl Config {
    fn policy(&self) -> Backoff {
        Backoff::new(self.initial)
            .max_delay(self.max_delay)
            .max_attempts(self.attempts)
            .attempt_timeout(self.attempt_timeout)
    }
}

fn millis(parser: &mut Parser) -> Result<Duration, lexopt::Error> {
    cli::checked(parser, |ms| cli::within(ms, 1, 86_400_000)).map(Duration::from_millis)
}

impl Flags for Config {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        match name {
            "addr" => self.addr = Some(cli::value(parser)?),
            "initial-ms" => self.initial = millis(parser)?,
            "max-delay-ms" => self.max_delay = millis(parser)?,
            "attempts" => self.attempts = cli::checked(parser, |n| cli::within(n, 1, 1000))?,
            "attempt-timeout-ms" => self.attempt_timeout = millis(parser)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn main() -> ExitCode {
    let usage = usage();
    cli::main(&usage, |parser| {
        let mut config = Config {
            addr: None,
            initial: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            attempts: 10,
            attempt_timeout: Duration::from_secs(2),
        };
        let mut runtime = cli::runtime_options()?;
        cli::parse_flags(parser, &mut [&mut config, &mut runtime])?;
        let addr = config
            .addr
            .ok_or_else(|| Exit::Usage("--addr is required".to_owned()))?;
        let policy = config.policy();
        let rt = runtime.build()?;
        let started = Instant::now();
        let mut attempt = 0;
        let connected = rt.block_on(retry::retry(&policy, |n| {
            attempt = n;
            TcpStream::connect(addr)
        }));
        match connected {
            Ok(_stream) => {
                println!(
                    "retry: connected to {addr} on attempt {attempt} after {} ms ({runtime})",
                    started.elapsed().as_millis()
                );
                Ok(())
            }
            Err(e) => Err(Exit::Failed(format!(
                "gave up on {addr} after {attempt} attempt{}: {e}",
                if attempt == 1 { "" } else { "s" }
            ))),
        }
    })
}
