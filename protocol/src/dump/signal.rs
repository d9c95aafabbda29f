//! Dumps on a signal, as Go and the JVM do on `SIGQUIT`: `kill -QUIT <pid>`
//! prints every task of the runtime to standard error, and the program
//! keeps running.
//!
//! The signal handler only wakes a thread of ours (signal-hook's self-pipe
//! iterator); the dump is taken and printed on that thread, never inside
//! the handler, where neither locks nor allocation are allowed.

use std::fmt;
use std::io::{self, Write};
use std::thread;

use signal_hook::consts::signal::{SIGQUIT, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

use super::Dump;
use crate::{Error, Handle};

/// A signal that can ask for a task dump.
///
/// # Examples
///
/// ```
/// use baton_protocol::dump::DumpSignal;
///
/// assert_eq!(DumpSignal::Quit.to_string(), "SIGQUIT");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DumpSignal {
    /// `SIGQUIT` (`kill -QUIT`, or Ctrl-\ in a terminal): Go's and the
    /// JVM's dump signal. Its default action, ending the process with a
    /// core dump, is replaced.
    Quit,
    /// `SIGUSR1`.
    User1,
    /// `SIGUSR2`.
    User2,
}

impl DumpSignal {
    /// The signal's number.
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_protocol::dump::DumpSignal;
    ///
    /// assert_eq!(DumpSignal::Quit.number(), 3); // on Linux
    /// ```
    pub fn number(self) -> i32 {
        match self {
            DumpSignal::Quit => SIGQUIT,
            DumpSignal::User1 => SIGUSR1,
            DumpSignal::User2 => SIGUSR2,
        }
    }
}

impl fmt::Display for DumpSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DumpSignal::Quit => "SIGQUIT",
            DumpSignal::User1 => "SIGUSR1",
            DumpSignal::User2 => "SIGUSR2",
        })
    }
}

/// Dumps the runtime's tasks each time a signal arrives, until dropped; see
/// [`Handle::dump_on_signal`].
///
/// Dropping it stops the dumps and joins its thread. The signal's default
/// action is *not* restored then (signal-hook cannot): a later signal is
/// ignored, or handled by the application's own handler if it has one.
///
/// # Examples
///
/// ```
/// use baton_protocol::dump::{DumpOnSignal, DumpSignal};
/// use baton_protocol::{Error, Handle};
///
/// fn dumps_while_serving(handle: &Handle) -> Result<DumpOnSignal, Error> {
///     let guard = handle.dump_on_signal(DumpSignal::User1)?;
///     assert_eq!(guard.signal(), DumpSignal::User1);
///     Ok(guard) // keep it: dropping it stops the dumps
/// }
/// # let _ = dumps_while_serving;
/// ```
#[must_use = "dumps stop when this is dropped"]
pub struct DumpOnSignal {
    signal: DumpSignal,
    control: signal_hook::iterator::Handle,
    thread: Option<thread::JoinHandle<()>>,
}

impl DumpOnSignal {
    /// The signal it listens for.
    pub fn signal(&self) -> DumpSignal {
        self.signal
    }
}

impl fmt::Debug for DumpOnSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DumpOnSignal")
            .field("signal", &self.signal)
            .finish_non_exhaustive()
    }
}

impl Drop for DumpOnSignal {
    fn drop(&mut self) {
        self.control.close();
        if let Some(thread) = self.thread.take() {
            // The thread only dumps and prints; a panic there has already
            // been printed by the panic hook.
            let _ = thread.join();
        }
    }
}

impl Handle {
    /// Prints a task dump of this runtime to standard error each time
    /// `signal` arrives, and keeps running: `kill -QUIT <pid>` shows what
    /// every task waits on, as Go does for goroutines.
    ///
    /// Opt-in, and for as long as the returned guard lives. A dump is taken
    /// on a thread of its own, never in the signal handler, while the
    /// runtime runs on; signals that arrive during a dump are coalesced
    /// into one more dump.
    ///
    /// A handler that the application installed for `signal` is
    /// **chained**, not replaced: it still runs on every signal, after
    /// ours (signal-hook keeps it and calls it). Two guards on one signal
    /// (two runtimes, say) both dump.
    ///
    /// # Errors
    ///
    /// - [`Error::Unsupported`] when this runtime's executor cannot take a
    ///   dump ([`Spawn::dump`](crate::Spawn::dump));
    /// - [`Error::Io`] when the handler or its thread cannot be set up.
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_protocol::dump::DumpSignal;
    /// use baton_protocol::{Error, Handle};
    ///
    /// fn debug_dumps(handle: &Handle) -> Result<(), Error> {
    ///     // Keep the guard for the life of the program.
    ///     let guard = handle.dump_on_signal(DumpSignal::Quit)?;
    ///     std::mem::forget(guard);
    ///     Ok(())
    /// }
    /// # let _ = debug_dumps;
    /// ```
    pub fn dump_on_signal(&self, signal: DumpSignal) -> Result<DumpOnSignal, Error> {
        self.dump_on_signal_with(signal, move |dump| {
            // One write of the whole text, so that it is not interleaved
            // with other output line by line.
            let text = format!("baton: {signal} received: dumping, then running on\n{dump}");
            let _ = io::stderr().lock().write_all(text.as_bytes());
        })
    }

    /// [`dump_on_signal`](Handle::dump_on_signal) with a function of
    /// yours in place of printing to standard error: it receives each dump
    /// (on the dump thread).
    ///
    /// # Errors
    ///
    /// As [`dump_on_signal`](Handle::dump_on_signal).
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_protocol::dump::DumpSignal;
    /// use baton_protocol::{Error, Handle};
    ///
    /// fn log_dumps(handle: &Handle) -> Result<baton_protocol::dump::DumpOnSignal, Error> {
    ///     handle.dump_on_signal_with(DumpSignal::User1, |dump| {
    ///         eprintln!("{} tasks", dump.tasks.len());
    ///     })
    /// }
    /// # let _ = log_dumps;
    /// ```
    pub fn dump_on_signal_with(
        &self,
        signal: DumpSignal,
        mut sink: impl FnMut(&Dump) + Send + 'static,
    ) -> Result<DumpOnSignal, Error> {
        // Refuse now, not at the first signal, on an executor without dumps.
        self.dump()?;
        let mut signals = Signals::new([signal.number()])?;
        let control = signals.handle();
        let handle = self.clone();
        let thread = thread::Builder::new()
            .name(format!("baton-dump-{signal}"))
            .spawn(move || {
                for _ in signals.forever() {
                    match handle.dump() {
                        Ok(dump) => sink(&dump),
                        Err(e) => eprintln!("baton: {signal} received, but no task dump: {e}"),
                    }
                }
            });
        match thread {
            Ok(thread) => Ok(DumpOnSignal {
                signal,
                control,
                thread: Some(thread),
            }),
            Err(e) => {
                control.close();
                Err(e.into())
            }
        }
    }
}
