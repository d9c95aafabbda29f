//! `deadlock`: two tasks that wait for each other, and the task dump that
//! names them. Run `deadlock --help`.

use std::process::ExitCode;

use baton::RuntimeOptions;
use baton_examples::cli::{self, Exit, Flags};
use baton_examples::deadlock;
use baton_protocol::dump::DumpSignal;
use lexopt::Parser;

fn usage() -> String {
    format!(
        "\
deadlock: a program stuck on purpose. Two tasks, left and right, each wait
for the other to finish; two healthy tasks wait for a connection and a timer.

usage: deadlock [--debug-dump] [runtime flags]

Without --debug-dump: waits until the runtime's task dump shows the two
tasks waiting for each other, prints that dump, exits 0.
  --debug-dump        stay stuck instead, and print a task dump to standard
                      error on SIGQUIT: run `kill -QUIT <pid>` (the pid is
                      printed), or press Ctrl-\\ in its terminal; Ctrl-C ends it

{runtime}
  -h, --help          this text
",
        runtime = RuntimeOptions::HELP,
    )
}

/// `--debug-dump`.
#[derive(Default)]
struct Debug(bool);

impl Flags for Debug {
    fn flag(&mut self, name: &str, _: &mut Parser) -> Result<bool, lexopt::Error> {
        if name == "debug-dump" {
            self.0 = true;
            return Ok(true);
        }
        Ok(false)
    }
}

fn main() -> ExitCode {
    let usage = usage();
    cli::main(&usage, |parser| {
        let mut debug = Debug::default();
        let mut runtime = cli::runtime_options()?;
        cli::parse_flags(parser, &mut [&mut debug, &mut runtime])?;
        let rt = runtime.build()?;
        if debug.0 {
            let _dumps = rt.handle().dump_on_signal(DumpSignal::Quit)?;
            return rt.block_on(async {
                let stuck = deadlock::start()?;
                deadlock::until_deadlocked(&stuck).await?;
                // Printed once the two are stuck, so a test (or a person) that
                // reads it can take a dump that shows them.
                println!(
                    "deadlock: stuck on purpose ({runtime}); `kill -QUIT {}` prints a task dump, \
                     Ctrl-C ends it",
                    std::process::id()
                );
                std::future::pending::<Result<(), Exit>>().await
            });
        }
        let dump = rt.block_on(async {
            let stuck = deadlock::start()?;
            deadlock::until_deadlocked(&stuck).await
        })?;
        print!("{dump}");
        Ok(())
    })
}
