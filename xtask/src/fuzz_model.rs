//! `cargo xtask fuzz-model`: the reactor model test (`baton-testing`'s
//! `reactor_model`: random operation sequences checked against a reference
//! model of the `Reactor` contract) for a long run — many sequences per
//! subject, in a release build.
//!
//! `cargo test` runs a thousand sequences per subject; this runs `--cases N`
//! (default 20 000) per subject, through `PROPTEST_CASES`. `--poll2` uses
//! the poll(2) build of reactor-poll (`--cfg polling_test_poll_backend`, in
//! `target/poll2`). Other arguments go to the test binary: a subject name
//! (`epoll`, `chaos_over_poll`, ...; exact names) runs that subject only. A failure
//! prints its shrunk sequence and a `BATON_SEED=<n>` that replays the run.

use std::process::ExitCode;

use crate::cargo;

const DEFAULT_CASES: u64 = 20_000;

const USAGE: &str = "\
usage: cargo xtask fuzz-model [--cases N] [--poll2] [SUBJECT...]

  --cases N   sequences per subject (default 20000)
  --poll2     reactor-poll on poll(2) (--cfg polling_test_poll_backend)
  SUBJECT     epoll, poll, virtual_time_over_epoll, virtual_time_over_poll,
              chaos_over_epoll, chaos_over_poll (default: all)
Set BATON_SEED=<n> to replay a run.
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    cases: u64,
    poll2: bool,
    filters: Vec<String>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options {
        cases: DEFAULT_CASES,
        poll2: false,
        filters: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--poll2" => options.poll2 = true,
            "--cases" => {
                let value = args.next().ok_or("--cases needs a number")?;
                options.cases = cases(value)?;
            }
            a if a.starts_with("--cases=") => options.cases = cases(&a["--cases=".len()..])?,
            a if a.starts_with('-') => return Err(format!("unknown flag {a:?}")),
            subject => options.filters.push(subject.to_owned()),
        }
    }
    Ok(Some(options))
}

fn cases(value: &str) -> Result<u64, String> {
    match value.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("--cases takes a positive number, not {value:?}")),
    }
}

pub(crate) fn run(args: &[String]) -> ExitCode {
    let options = match parse(args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprint!("xtask fuzz-model: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut cmd = cargo::cargo();
    cmd.args([
        "test",
        "--release",
        "-p",
        "baton-testing",
        "--test",
        "reactor_model",
        "--",
        "--nocapture",
    ])
    .args(&options.filters)
    .args(options.filters.first().map(|_| "--exact"))
    .env("PROPTEST_CASES", options.cases.to_string());
    if options.poll2 {
        cmd.env("RUSTFLAGS", cargo::poll2_rustflags())
            .env("CARGO_TARGET_DIR", cargo::poll2_target_dir());
    }
    match cmd.status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("xtask fuzz-model: the model found a contract violation ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("xtask fuzz-model: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_CASES, Options, parse};

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_cases_poll2_and_subjects() {
        assert_eq!(
            parse(&args("")),
            Ok(Some(Options {
                cases: DEFAULT_CASES,
                poll2: false,
                filters: vec![],
            }))
        );
        assert_eq!(
            parse(&args("--cases 7 --poll2 epoll chaos_over_poll")),
            Ok(Some(Options {
                cases: 7,
                poll2: true,
                filters: args("epoll chaos_over_poll"),
            }))
        );
        assert_eq!(
            parse(&args("--cases=9")).map(|o| o.map(|o| o.cases)),
            Ok(Some(9))
        );
        assert_eq!(parse(&args("--help")), Ok(None));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse(&args("--cases")).is_err());
        assert!(parse(&args("--cases 0")).is_err());
        assert!(parse(&args("--cases many")).is_err());
        assert!(parse(&args("--fast")).is_err());
    }
}
