//! `step`: the design note's IPython session with asyncio, replayed in
//! Rust with `Stepper`. Run `step --help`.

use std::io::{self, Write};
use std::process::ExitCode;

use baton::RuntimeOptions;
use baton::rt::{ExecutorKind, ReactorKind};
use baton_examples::cli::{self, Flags};
use baton_examples::step;
use lexopt::Parser;

const USAGE: &str = "\
step: drive coroutines by hand, one poll at a time, as the design note does
with asyncio in IPython (x = asyncio.sleep(1); q = x.send(None); q.set_result(..)).
Prints an IPython-style transcript.

usage: step [--reactor epoll|poll|uring]

  --reactor epoll|poll|uring   the reactor whose timers part 3 uses [default: epoll]
  -h, --help             this text

There is no --executor: here the Stepper plays the executor, and part 3
turns the reactor by hand (the executor that provides the handle stays idle).
";

/// `--reactor`.
struct Reactor(ReactorKind);

impl Flags for Reactor {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        if name != "reactor" {
            return Ok(false);
        }
        self.0 = cli::value(parser)?;
        Ok(true)
    }
}

fn main() -> ExitCode {
    cli::main(USAGE, |parser| {
        let mut reactor = Reactor(ReactorKind::Epoll);
        cli::parse_flags(parser, &mut [&mut reactor])?;
        // Only for its handle (reactor + spawner): the local executor never
        // runs here, so nothing but the transcript parks the reactor.
        let idle = RuntimeOptions {
            reactor: reactor.0,
            executor: ExecutorKind::Local,
            workers: 1,
        }
        .build()?;
        let mut out = io::stdout().lock();
        writeln!(out, "step: reactor {}", reactor.0)?;
        step::transcript(&mut out, idle.handle())?;
        Ok(())
    })
}
