//! Child processes on the runtime: [`Command`] builds and starts them,
//! [`Child`] waits for them and streams their standard I/O.
//!
//! The builder is std's (`std::process::Command` does the fork and exec,
//! the close-on-exec handling and the errors); what is asynchronous is
//! everything after:
//!
//! - the piped streams ([`ChildStdin`], [`ChildStdout`], [`ChildStderr`])
//!   are non-blocking pipes registered with the reactor, futures-io
//!   `AsyncRead` / `AsyncWrite`;
//! - a child's exit is watched through a pidfd registered with the reactor
//!   (Linux 5.3 and later), or, on older kernels, through a `SIGCHLD`
//!   listener of the [`signal`](crate::signal) module and non-blocking
//!   `waitpid`s, as async-process does. Setting the environment variable
//!   `BATON_NO_PIDFD=1` forces that fallback (to test it on a new kernel);
//! - no zombie is left behind: a [`Child`] dropped unwaited is reaped in
//!   the background (killed first with [`Command::kill_on_drop`]).
//!
//! Every operation works on every reactor × executor pair and on the host
//! backends. A program that does not exist is an `io::Error` of kind
//! `NotFound`, from `spawn`, as in std.
//!
//! # Examples
//!
//! ```no_run
//! use baton_protocol::process::Command;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let output = Command::new("uname").arg("-s").output().await?;
//! assert!(output.status.success());
//! println!("{}", String::from_utf8_lossy(&output.stdout));
//! # Ok(()) }
//! ```

mod child;
mod exit;
mod reaper;
mod stdio;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{self, ExitStatus, Output};

pub use child::Child;
#[doc(no_inline)]
pub use std::process::Stdio;
pub use stdio::{ChildStderr, ChildStdin, ChildStdout};

use crate::Handle;

/// Builds and starts a child process: std's builder, with asynchronous
/// [`status`](Command::status), [`output`](Command::output) and a
/// [`Child`] whose pipes and exit the reactor drives.
///
/// The methods mirror `std::process::Command`, defaults included: `spawn`
/// and `status` inherit the three standard streams unless told otherwise;
/// `output` captures stdout and stderr and gives the child an empty stdin.
/// For what the builder here does not offer (`uid`, `process_group`,
/// `pre_exec`, …) use [`as_std_mut`](Command::as_std_mut) with std's
/// `CommandExt`.
///
/// # Examples
///
/// ```no_run
/// use baton_protocol::process::{Command, Stdio};
///
/// # async fn demo() -> std::io::Result<()> {
/// let status = Command::new("sh")
///     .arg("-c")
///     .arg("test \"$GREETING\" = hello")
///     .env("GREETING", "hello")
///     .current_dir("/")
///     .stdout(Stdio::null())
///     .status()
///     .await?;
/// assert!(status.success());
/// # Ok(()) }
/// ```
pub struct Command {
    std: process::Command,
    /// Whether stdin, stdout, stderr were set by the caller: `output`
    /// chooses only the others.
    stdio_set: [bool; 3],
    kill_on_drop: bool,
}

impl Command {
    /// A command to run `program`, found on `PATH` unless it is a path.
    ///
    /// # Examples
    ///
    /// ```
    /// let command = baton_protocol::process::Command::new("ls");
    /// assert_eq!(command.as_std().get_program(), "ls");
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(process::Command::new(program))
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable of the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets environment variables of the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what
    /// [`env`](Command::env) adds after).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's standard input: [`Stdio::piped`] makes
    /// [`Child::stdin`] a [`ChildStdin`].
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdio_set[0] = true;
        self
    }

    /// Sets the child's standard output: [`Stdio::piped`] makes
    /// [`Child::stdout`] a [`ChildStdout`].
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.stdio_set[1] = true;
        self
    }

    /// Sets the child's standard error: [`Stdio::piped`] makes
    /// [`Child::stderr`] a [`ChildStderr`].
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.stdio_set[2] = true;
        self
    }

    /// Whether a [`Child`] dropped before its exit status was read is sent
    /// `SIGKILL` (default `false`: it runs on, and is reaped when it exits).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_protocol::process::Command;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let child = Command::new("sleep").arg("60").kill_on_drop(true).spawn()?;
    /// drop(child); // killed, and reaped in the background
    /// # Ok(()) }
    /// ```
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }

    /// std's builder, to read what is set.
    pub fn as_std(&self) -> &process::Command {
        &self.std
    }

    /// std's builder, for its Unix extensions (`CommandExt`). Standard
    /// streams set through it are not known to [`output`](Command::output),
    /// which then sets its own; set them here instead.
    pub fn as_std_mut(&mut self) -> &mut process::Command {
        &mut self.std
    }

    /// Starts the child, with the reactor of the runtime entered on this
    /// thread driving its pipes and its exit.
    ///
    /// # Errors
    ///
    /// Outside a runtime, [`Error::NoRuntime`](crate::Error::NoRuntime) as
    /// an `io::Error` (and no child is started); a program that does not
    /// exist, kind `NotFound`; otherwise std's spawn errors, or running out
    /// of file descriptors (the child is then killed and reaped).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::io::ErrorKind;
    /// use baton_protocol::process::Command;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let missing = Command::new("/no/such/program").spawn().unwrap_err();
    /// assert_eq!(missing.kind(), ErrorKind::NotFound);
    /// # Ok(()) }
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        let handle = Handle::current()?;
        reaper::reap_orphans();
        let std = self.std.spawn()?;
        Child::new(std, handle, self.kill_on_drop)
    }

    /// Starts the child and waits for its exit status. Its standard streams
    /// are inherited unless set; a piped stdin is closed at once.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Command::spawn) and [`Child::wait`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let status = baton_protocol::process::Command::new("true").status().await?;
    /// assert!(status.success());
    /// # Ok(()) }
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        child.wait().await
    }

    /// Starts the child, collects its standard output and error, and waits
    /// for it. Unless set, stdout and stderr are piped and stdin is empty
    /// (`/dev/null`), as in std.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Command::spawn) and [`Child::wait_with_output`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let output = baton_protocol::process::Command::new("echo").arg("hi").output().await?;
    /// assert_eq!(output.stdout, b"hi\n");
    /// # Ok(()) }
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        let [stdin, stdout, stderr] = self.stdio_set;
        if !stdin {
            self.std.stdin(Stdio::null());
        }
        if !stdout {
            self.std.stdout(Stdio::piped());
        }
        if !stderr {
            self.std.stderr(Stdio::piped());
        }
        let child = self.spawn();
        // Back to `spawn`'s defaults for the streams the caller left unset.
        if !stdin {
            self.std.stdin(Stdio::inherit());
        }
        if !stdout {
            self.std.stdout(Stdio::inherit());
        }
        if !stderr {
            self.std.stderr(Stdio::inherit());
        }
        child?.wait_with_output().await
    }
}

impl From<process::Command> for Command {
    /// Wraps a std builder. Streams it already set count as unset for
    /// [`output`](Command::output), as for [`as_std_mut`](Command::as_std_mut).
    fn from(std: process::Command) -> Command {
        Command {
            std,
            stdio_set: [false; 3],
            kill_on_drop: false,
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish_non_exhaustive()
    }
}
