//! `sleep_heap`: many tasks sleep random durations and are printed in the
//! order they wake, with how late each woke. Run `sleep_heap --help`.

use std::process::ExitCode;
use std::time::Duration;

use baton::RuntimeOptions;
use baton_examples::cli::{self, Flags};
use baton_examples::sleep_heap::{self, Config};
use lexopt::Parser;

fn usage() -> String {
    format!(
        "\
sleep_heap: the design note's sleep scheduling. Tasks sleep random (seeded)
durations; the reactor keeps their deadlines in order and each park sleeps
until the nearest. Prints the tasks in the order they woke, how late each
was, and whether any woke early (none should).

usage: sleep_heap [--tasks N] [--max-ms MS] [--seed S] [runtime flags]

  --tasks N           sleeping tasks, at most 1000000 [default: 20]
  --max-ms MS         longest sleep, in milliseconds (at most a day) [default: 1000]
  --seed S            seed of the durations [default: 1]

{runtime}
  -h, --help          this text
",
        runtime = RuntimeOptions::HELP,
    )
}

/// The run's flags.
struct Sleepers(Config);

impl Flags for Sleepers {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        match name {
            "tasks" => self.0.tasks = cli::checked(parser, |n| cli::within(n, 0, 1_000_000))?,
            "max-ms" => {
                let ms = cli::checked(parser, |ms: &u64| {
                    if *ms <= 86_400_000 {
                        Ok(())
                    } else {
                        Err("at most a day (86400000)".to_owned())
                    }
                })?;
                self.0.max = Duration::from_millis(ms);
            }
            "seed" => self.0.seed = cli::value(parser)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn main() -> ExitCode {
    let usage = usage();
    cli::main(&usage, |parser| {
        let mut sleepers = Sleepers(Config {
            tasks: 20,
            max: Duration::from_secs(1),
            seed: 1,
        });
        let mut runtime = cli::runtime_options()?;
        cli::parse_flags(parser, &mut [&mut sleepers, &mut runtime])?;
        let rt = runtime.build()?;
        let report = rt.block_on(sleep_heap::run(sleepers.0))?;
        println!("sleep_heap on {runtime}");
        print!("{report}");
        if report.never_early() {
            Ok(())
        } else {
            Err(cli::Exit::Failed(
                "a task woke before its deadline".to_owned(),
            ))
        }
    })
}
