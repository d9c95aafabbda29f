//! `cargo xtask ci`: what CI runs, locally. `.ci/run` runs the same
//! commands after installing what the tests need; a test below keeps the two
//! lists in step.

use std::process::ExitCode;
use std::time::Instant;

use crate::cargo;

/// One CI step: a name, the command line, and extra environment.
struct Step {
    name: &'static str,
    command: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const STEPS: &[Step] = &[
    Step {
        name: "format",
        command: &["cargo", "fmt", "--all", "--check"],
        env: &[],
    },
    Step {
        name: "lint",
        command: &[
            "cargo",
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        name: "docs",
        command: &["cargo", "doc", "--workspace", "--no-deps"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
    Step {
        name: "tests",
        command: &["cargo", "test", "--workspace"],
        env: &[],
    },
    Step {
        name: "executor with its tracing and metrics features: lint",
        command: &[
            "cargo",
            "clippy",
            "-p",
            "baton-executor",
            "--all-targets",
            "--features",
            "tracing,metrics",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        name: "executor with its tracing and metrics features: tests",
        command: &[
            "cargo",
            "test",
            "-p",
            "baton-executor",
            "--features",
            "tracing,metrics",
        ],
        env: &[],
    },
    Step {
        name: "reactor-poll on poll(2)",
        command: &["cargo", "test", "-p", "baton-reactor-poll"],
        env: &[
            ("RUSTFLAGS", "--cfg polling_test_poll_backend"),
            ("CARGO_TARGET_DIR", "target/poll2"),
        ],
    },
    Step {
        name: "conformance",
        command: &["cargo", "xtask", "conformance"],
        env: &[],
    },
    Step {
        name: "conformance, fault-injecting rows under 3 more seeds",
        command: &[
            "cargo",
            "xtask",
            "conformance",
            "--seeds",
            "3",
            "--reactor",
            "chaos(epoll),chaos(poll)",
        ],
        env: &[],
    },
    Step {
        name: "loom models",
        command: &["cargo", "xtask", "loom"],
        env: &[],
    },
    Step {
        name: "benchmarks, quick (they run; no speed is asserted)",
        command: &["cargo", "xtask", "bench", "--quick"],
        env: &[],
    },
    Step {
        name: "soak, 1 minute (no RSS growth, errors or leaked fds under load)",
        command: &["cargo", "xtask", "soak", "--minutes", "1"],
        env: &[],
    },
];

pub(crate) fn run() -> ExitCode {
    let started = Instant::now();
    for step in STEPS {
        eprintln!("\n==> {} ({})", step.name, step.command.join(" "));
        let step_started = Instant::now();
        let mut cmd = cargo::cargo();
        cmd.args(&step.command[1..]);
        for (k, v) in step.env {
            cmd.env(k, v);
        }
        match cmd.status() {
            Ok(s) if s.success() => {
                eprintln!("==> {} passed in {:.0?}", step.name, step_started.elapsed());
            }
            Ok(s) => {
                eprintln!("==> {} FAILED ({s})", step.name);
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("==> {} could not start: {e}", step.name);
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("\nci: every step passed in {:.0?}", started.elapsed());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::STEPS;

    /// An argument as the shell script spells it: single-quoted if the
    /// shell would otherwise read something into it (`chaos(epoll)`).
    fn shell_word(arg: &str) -> String {
        let plain = arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,/=:".contains(c));
        if plain {
            arg.to_owned()
        } else {
            format!("'{arg}'")
        }
    }

    /// `.ci/run` must run every step of `cargo xtask ci`, with its
    /// environment, so that local and CI runs check the same things.
    #[test]
    fn ci_run_script_runs_every_step() {
        let script =
            std::fs::read_to_string(crate::cargo::root().join(".ci/run")).expect(".ci/run exists");
        for step in STEPS {
            let env: String = step
                .env
                .iter()
                .map(|(k, v)| format!("{k}=\"{v}\" "))
                .collect();
            let words: Vec<String> = step.command.iter().map(|a| shell_word(a)).collect();
            let line = format!("{env}{}", words.join(" "));
            assert!(
                script.lines().any(|l| l.trim() == line),
                ".ci/run lacks the step {:?}: expected a line `{line}`",
                step.name
            );
        }
    }
}
