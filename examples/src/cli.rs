//! Command-line plumbing shared by the binaries: flag sets parsed with
//! `lexopt`, the listening address of the servers, and how a binary exits.
//!
//! Each binary describes its flags as one or more [`Flags`] sets (its own,
//! [`Listen`], the facade's [`RuntimeOptions`]) and hands them to
//! [`parse_flags`]; [`main`] turns the outcome into an exit code:
//! `--help` prints the usage and exits 0, a usage error exits 2 (pointing
//! at `--help`), a failure at run time exits 1.

use std::error::Error as StdError;
use std::ffi::OsString;
use std::fmt::Display;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use baton::RuntimeOptions;
use baton::rt::OptionError;
use lexopt::{Arg, Parser, ValueExt};

/// A set of `--long` flags a binary understands.
pub trait Flags {
    /// Consumes the flag `--name` (and its value, through `parser`) if it
    /// belongs to this set.
    ///
    /// # Return value
    ///
    /// `Ok(true)` if the flag was consumed, `Ok(false)` if it is not one of
    /// this set's.
    ///
    /// # Errors
    ///
    /// A missing or malformed value.
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error>;
}

/// Why a binary stops early.
#[derive(Debug)]
pub enum Exit {
    /// `--help` or `-h`: print the usage, exit 0.
    Help,
    /// The command line is wrong: print the message, exit 2.
    Usage(String),
    /// Running failed: print the message, exit 1.
    Failed(String),
}

impl From<lexopt::Error> for Exit {
    fn from(e: lexopt::Error) -> Exit {
        Exit::Usage(e.to_string())
    }
}

impl From<baton_protocol::Error> for Exit {
    fn from(e: baton_protocol::Error) -> Exit {
        Exit::Failed(e.to_string())
    }
}

impl From<OptionError> for Exit {
    /// A bad `BATON_*` variable: a usage error, as a bad flag is.
    fn from(e: OptionError) -> Exit {
        Exit::Usage(e.to_string())
    }
}

impl From<io::Error> for Exit {
    fn from(e: io::Error) -> Exit {
        Exit::Failed(e.to_string())
    }
}

/// Runs a binary's body and maps its outcome to an exit code (see the
/// module documentation). `usage` is the full `--help` text.
pub fn main(usage: &str, run: impl FnOnce(&mut Parser) -> Result<(), Exit>) -> ExitCode {
    let mut parser = Parser::from_env();
    exit_code(usage, run(&mut parser))
}

/// Maps a binary's outcome to its exit code, printing what [`main`] prints:
/// for a binary whose body is async (under `#[tokio::main]`, say) and so
/// cannot run inside `main`'s closure.
pub fn exit_code(usage: &str, outcome: Result<(), Exit>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Exit::Help) => {
            print!("{usage}");
            ExitCode::SUCCESS
        }
        Err(Exit::Usage(message)) => {
            eprintln!("error: {message}\n(--help lists the flags)");
            ExitCode::from(2)
        }
        Err(Exit::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the rest of the command line as `--long` flags of `sets` (and
/// `-h` / `--help`); a positional argument or an unknown flag is a usage
/// error.
///
/// # Errors
///
/// [`Exit::Help`] for `--help`; [`Exit::Usage`] for anything not
/// understood.
pub fn parse_flags(parser: &mut Parser, sets: &mut [&mut dyn Flags]) -> Result<(), Exit> {
    while let Some(arg) = parser.next()? {
        let name = match arg {
            Arg::Short('h') | Arg::Long("help") => return Err(Exit::Help),
            Arg::Long(name) => name.to_owned(),
            other => return Err(other.unexpected().into()),
        };
        let mut known = false;
        for set in sets.iter_mut() {
            let consumed = set.flag(&name, parser).map_err(|e| match e {
                lexopt::Error::ParsingFailed { value, error } => {
                    Exit::Usage(format!("--{name} {value:?}: {error}"))
                }
                other => Exit::from(other),
            })?;
            if consumed {
                known = true;
                break;
            }
        }
        if !known {
            return Err(Exit::Usage(format!("unknown flag --{name}")));
        }
    }
    Ok(())
}

/// The value of the flag being parsed, converted with `FromStr`.
///
/// # Errors
///
/// A missing value, one that is not UTF-8, or one `T` rejects.
pub fn value<T>(parser: &mut Parser) -> Result<T, lexopt::Error>
where
    T: FromStr,
    T::Err: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    parser.value()?.parse()
}

/// The value of the flag being parsed, checked by `check`.
///
/// # Errors
///
/// As [`value`], and `check`'s message for a value it refuses.
pub fn checked<T>(
    parser: &mut Parser,
    check: impl FnOnce(&T) -> Result<(), String>,
) -> Result<T, lexopt::Error>
where
    T: FromStr,
    T::Err: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    let raw: OsString = parser.value()?;
    let value: T = raw.parse()?;
    check(&value).map_err(|message| lexopt::Error::ParsingFailed {
        value: raw.to_string_lossy().into_owned(),
        error: message.into(),
    })?;
    Ok(value)
}

/// A refusal for [`checked`] unless `value` is at least `min`.
///
/// # Errors
///
/// A message naming the bound.
pub fn at_least<T: PartialOrd + Display>(value: &T, min: T) -> Result<(), String> {
    if *value < min {
        Err(format!("must be at least {min}"))
    } else {
        Ok(())
    }
}

/// A refusal for [`checked`] unless `value` is within `min..=max`.
///
/// # Errors
///
/// A message naming the bounds.
pub fn within<T: PartialOrd + Display>(value: &T, min: T, max: T) -> Result<(), String> {
    if *value < min || *value > max {
        Err(format!("must be from {min} to {max}"))
    } else {
        Ok(())
    }
}

/// The value of a flag as a positive number of seconds, fractions allowed
/// (`--duration 2.5`).
///
/// # Errors
///
/// lexopt's error for a missing value, or one that is not such a number.
pub fn seconds(parser: &mut Parser) -> Result<Duration, lexopt::Error> {
    let secs: f64 = checked(parser, |s: &f64| {
        if s.is_finite() && *s > 0.0 && *s < 1e9 {
            Ok(())
        } else {
            Err("must be a positive number of seconds".to_owned())
        }
    })?;
    Ok(Duration::from_secs_f64(secs))
}

/// The mode word a two-mode binary starts with (`echo server`, `http
/// client`): one of `modes`, or help.
///
/// # Errors
///
/// [`Exit::Help`] for `--help`; [`Exit::Usage`] naming the modes otherwise.
pub fn mode(parser: &mut Parser, program: &str, modes: [&str; 2]) -> Result<String, Exit> {
    match parser.next()? {
        Some(Arg::Value(mode)) => Ok(mode.string()?),
        Some(Arg::Long("help") | Arg::Short('h')) => Err(Exit::Help),
        _ => Err(Exit::Usage(format!(
            "say `{program} {}` or `{program} {}`",
            modes[0], modes[1]
        ))),
    }
}

/// The runtime flags, `--reactor`, `--executor` and `--workers`, with the
/// facade's messages (`--reactor "kqueue": expected epoll, poll or uring`). Start
/// from [`runtime_options`] so that `BATON_*` variables set the defaults.
impl Flags for RuntimeOptions {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        if !matches!(name, "reactor" | "executor" | "workers") {
            return Ok(false);
        }
        let raw: OsString = parser.value()?;
        let text = raw.string()?;
        self.set(name, &text)
            .map_err(|error| lexopt::Error::ParsingFailed {
                value: text,
                error: error.into(),
            })?;
        Ok(true)
    }
}

/// The runtime a binary starts from before its flags: the facade's
/// defaults, overridden by `BATON_REACTOR`, `BATON_EXECUTOR` and
/// `BATON_WORKERS`.
///
/// # Errors
///
/// [`Exit::Usage`] naming a variable whose value is not understood.
pub fn runtime_options() -> Result<RuntimeOptions, Exit> {
    Ok(RuntimeOptions::default().with_env()?)
}

/// Where a server listens: `--bind ADDR` (default 127.0.0.1) and
/// `--port N` (0 picks a free port).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listen {
    /// The address to bind.
    pub bind: IpAddr,
    /// The port; 0 lets the OS pick one.
    pub port: u16,
}

impl Listen {
    /// Loopback, on `port` unless `--port` says otherwise.
    pub const fn new(port: u16) -> Listen {
        Listen {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        }
    }

    /// The socket address to bind.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    /// The `--help` lines of these flags, for a server whose default port
    /// is `self.port`.
    pub fn help(&self) -> String {
        format!(
            "  --bind ADDR         address to listen on (default {}; 0.0.0.0 or :: for all)\n  \
             --port N            TCP port (default {}; 0 picks a free one)\n",
            self.bind, self.port
        )
    }
}

impl Flags for Listen {
    fn flag(&mut self, name: &str, parser: &mut Parser) -> Result<bool, lexopt::Error> {
        match name {
            "bind" => self.bind = value(parser)?,
            "port" => self.port = value(parser)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Prints the line tests and scripts wait for, `listening on ADDR`,
/// followed by what the server runs on.
pub fn announce(name: &str, addr: SocketAddr, runtime: &str) {
    println!("{name}: listening on {addr} ({runtime})");
}

/// A size in bytes, written as Redis' configuration writes them: a number
/// with an optional unit, `k` / `m` / `g` (powers of 1000) or `kb` / `mb` /
/// `gb` (powers of 1024), in any case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub usize);

impl FromStr for Bytes {
    type Err = String;

    fn from_str(s: &str) -> Result<Bytes, String> {
        let lower = s.to_ascii_lowercase();
        let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let scale: usize = match &lower[digits.len()..] {
            "" | "b" => 1,
            "k" => 1000,
            "kb" => 1024,
            "m" => 1000 * 1000,
            "mb" => 1024 * 1024,
            "g" => 1000 * 1000 * 1000,
            "gb" => 1024 * 1024 * 1024,
            unit => return Err(format!("unknown unit {unit:?} (k, kb, m, mb, g, gb)")),
        };
        let n: usize = digits.parse().map_err(|e| format!("{e}"))?;
        n.checked_mul(scale)
            .map(Bytes)
            .ok_or_else(|| "too large".to_owned())
    }
}

impl Display for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MB: usize = 1024 * 1024;
        match self.0 {
            n if n >= MB && n % MB == 0 => write!(f, "{}mb", n / MB),
            n if n >= 1024 && n % 1024 == 0 => write!(f, "{}kb", n / 1024),
            n => write!(f, "{n}"),
        }
    }
}
