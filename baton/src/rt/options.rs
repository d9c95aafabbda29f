//! The run-time choice of reactor and executor: [`RuntimeOptions`], read
//! from flags (`--reactor`, `--executor`, `--workers`) and from the
//! environment (`BATON_REACTOR`, `BATON_EXECUTOR`, `BATON_WORKERS`).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::thread;

use baton_executor::LocalExecutor;
use baton_protocol::{Error, Reactor};

use super::Runtime;

/// The variable that overrides [`RuntimeOptions::reactor`].
pub const ENV_REACTOR: &str = "BATON_REACTOR";
/// The variable that overrides [`RuntimeOptions::executor`].
pub const ENV_EXECUTOR: &str = "BATON_EXECUTOR";
/// The variable that overrides [`RuntimeOptions::workers`].
pub const ENV_WORKERS: &str = "BATON_WORKERS";

/// A value of a runtime option that is not understood; the message says
/// what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionError {
    /// Not a reactor name.
    #[error("expected epoll, poll or uring")]
    UnknownReactor,
    /// Not an executor name.
    #[error("expected local or multi")]
    UnknownExecutor,
    /// A worker count that is not a number.
    #[error("{0}")]
    NotANumber(#[from] std::num::ParseIntError),
    /// Zero workers.
    #[error("must be at least 1")]
    ZeroWorkers,
    /// A variable of the environment holds a bad value (or is not Unicode).
    #[error("{var}={value:?}: {error}")]
    Env {
        /// The variable, such as [`ENV_REACTOR`].
        var: &'static str,
        /// Its value, lossily decoded.
        value: String,
        /// What is wrong with it.
        error: Box<OptionError>,
    },
    /// [`RuntimeOptions::set`] was given a name that is not a runtime option.
    #[error("unknown runtime option {0:?} (expected reactor, executor or workers)")]
    UnknownOption(String),
    /// A variable of the environment is not Unicode.
    #[error("is not Unicode")]
    NotUnicode,
}

/// Which reactor waits for I/O and timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReactorKind {
    /// `baton-reactor-epoll`: mio, edge-triggered epoll (feature `epoll`).
    Epoll,
    /// `baton-reactor-poll`: the polling crate, oneshot epoll or poll(2)
    /// (feature `poll`).
    Poll,
    /// `baton-reactor-uring`: io_uring, multishot polls (feature `uring`).
    /// Building it fails with [`Error::Unsupported`] where the kernel
    /// refuses io_uring: fall back to [`Epoll`](ReactorKind::Epoll) then.
    Uring,
}

impl ReactorKind {
    /// The kinds `each_pair` runs, in its order: epoll and poll, which every
    /// Linux kernel has (io_uring may be refused, so uring is opt-in).
    pub const ALL: [ReactorKind; 2] = [ReactorKind::Epoll, ReactorKind::Poll];

    /// A new reactor of this kind, as the protocol sees it.
    ///
    /// # Errors
    ///
    /// The OS's error creating the poller; [`Error::Unsupported`] if the
    /// crate was built without this reactor's feature.
    pub fn build(self) -> Result<Arc<dyn Reactor>, Error> {
        self.build_with(&Plain)
    }

    /// A new reactor of this kind, handed to `decorate` as its concrete type
    /// (so a decorator such as a virtual clock can wrap it).
    pub(crate) fn build_with<D: Decorate>(self, decorate: &D) -> Result<Arc<dyn Reactor>, Error> {
        match self {
            #[cfg(feature = "epoll")]
            ReactorKind::Epoll => Ok(decorate.wrap(baton_reactor_epoll::EpollReactor::new()?)),
            #[cfg(feature = "poll")]
            ReactorKind::Poll => Ok(decorate.wrap(baton_reactor_poll::PollReactor::new()?)),
            #[cfg(feature = "uring")]
            ReactorKind::Uring => Ok(decorate.wrap(baton_reactor_uring::UringReactor::new()?)),
            #[allow(
                unreachable_patterns,
                reason = "reached only with a reactor feature off"
            )]
            _ => {
                let _ = decorate;
                Err(Error::Unsupported(
                    "this reactor's cargo feature of the baton crate is off",
                ))
            }
        }
    }
}

/// Wraps a freshly built reactor of a concrete type: the test support
/// decorates it (virtual time, fault injection), plain use does not.
pub(crate) trait Decorate {
    /// `reactor`, wrapped or not, as the protocol sees it.
    fn wrap<R: Reactor + 'static>(&self, reactor: R) -> Arc<dyn Reactor>;
}

/// No decoration.
struct Plain;

impl Decorate for Plain {
    fn wrap<R: Reactor + 'static>(&self, reactor: R) -> Arc<dyn Reactor> {
        Arc::new(reactor)
    }
}

impl FromStr for ReactorKind {
    type Err = OptionError;

    fn from_str(s: &str) -> Result<ReactorKind, OptionError> {
        match s {
            "epoll" => Ok(ReactorKind::Epoll),
            "poll" => Ok(ReactorKind::Poll),
            "uring" => Ok(ReactorKind::Uring),
            _ => Err(OptionError::UnknownReactor),
        }
    }
}

impl fmt::Display for ReactorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReactorKind::Epoll => "epoll",
            ReactorKind::Poll => "poll",
            ReactorKind::Uring => "uring",
        })
    }
}

/// Which executor runs the tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutorKind {
    /// [`LocalExecutor`]: every task on the thread that runs `block_on`.
    Local,
    /// [`baton_executor::Runtime`]: a work-stealing pool of `workers`
    /// threads.
    Multi,
}

impl ExecutorKind {
    /// Both kinds, in the order `each_pair` runs them.
    pub const ALL: [ExecutorKind; 2] = [ExecutorKind::Local, ExecutorKind::Multi];

    /// A new executor of this kind over `reactor` (`workers` is used by
    /// [`ExecutorKind::Multi`] only).
    ///
    /// # Errors
    ///
    /// The executor's construction error (a worker thread that cannot
    /// start, zero workers).
    pub fn build(self, reactor: Arc<dyn Reactor>, workers: usize) -> Result<Runtime, Error> {
        Ok(match self {
            ExecutorKind::Local => {
                Runtime::Local(LocalExecutor::builder().shared_reactor(reactor).build()?)
            }
            ExecutorKind::Multi => Runtime::Multi(
                baton_executor::Runtime::builder()
                    .shared_reactor(reactor)
                    .workers(workers)
                    .build()?,
            ),
        })
    }
}

impl FromStr for ExecutorKind {
    type Err = OptionError;

    fn from_str(s: &str) -> Result<ExecutorKind, OptionError> {
        match s {
            "local" => Ok(ExecutorKind::Local),
            "multi" => Ok(ExecutorKind::Multi),
            _ => Err(OptionError::UnknownExecutor),
        }
    }
}

impl fmt::Display for ExecutorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExecutorKind::Local => "local",
            ExecutorKind::Multi => "multi",
        })
    }
}

/// The runtime a program runs on: a reactor and an executor, picked when
/// the program starts rather than when it is compiled.
///
/// Start from [`RuntimeOptions::default`] (epoll, multi-thread, one worker
/// per core), override from the environment with
/// [`with_env`](RuntimeOptions::with_env), from flags with
/// [`set`](RuntimeOptions::set), then [`build`](RuntimeOptions::build).
/// `#[baton::main]` does the first two and the last for you.
///
/// # Examples
///
/// ```
/// use baton::rt::{ExecutorKind, ReactorKind, RuntimeOptions};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut options = RuntimeOptions::default().with_env()?;
/// options.set("reactor", "poll")?; // as `--reactor poll` would
/// options.set("workers", "2")?;
/// assert_eq!(options.reactor, ReactorKind::Poll);
///
/// let rt = options.build()?;
/// let answer = rt.block_on(async { baton::spawn(async { 6 * 7 })?.await })?;
/// assert_eq!(answer, 42);
///
/// // A bad value says what it expected.
/// let refused = options.set("reactor", "kqueue").unwrap_err();
/// assert_eq!(refused.to_string(), "expected epoll, poll or uring");
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeOptions {
    /// `--reactor`, `BATON_REACTOR`.
    pub reactor: ReactorKind,
    /// `--executor`, `BATON_EXECUTOR`.
    pub executor: ExecutorKind,
    /// `--workers`, `BATON_WORKERS`: threads of the multi-thread executor
    /// (the local one always has one).
    pub workers: usize,
}

impl RuntimeOptions {
    /// The `--help` lines of the runtime flags.
    pub const HELP: &'static str = "\
runtime (picked at run time; BATON_REACTOR, BATON_EXECUTOR, BATON_WORKERS set the defaults):
  --reactor epoll|poll|uring
                           epoll: baton-reactor-epoll (mio); poll: baton-reactor-poll
                           (the polling crate); uring: baton-reactor-uring (io_uring)
                           [default: epoll]
  --executor local|multi   local: one thread; multi: work-stealing threads [default: multi]
  --workers N              threads of the multi executor [default: one per CPU]
";

    /// What `#[baton::test]` starts from: epoll, the local executor (a test
    /// is one thread unless it asks for more, as tokio's are), two workers
    /// if `executor = "multi"` is asked for.
    pub fn for_tests() -> RuntimeOptions {
        RuntimeOptions {
            reactor: ReactorKind::Epoll,
            executor: ExecutorKind::Local,
            workers: 2,
        }
    }

    /// Sets the option `name` (`reactor`, `executor` or `workers`) from its
    /// text, as a command-line parser hands it over.
    ///
    /// # Errors
    ///
    /// [`OptionError::UnknownOption`] for another name (nothing is changed);
    /// the value's error otherwise, whose message says what is expected
    /// (`expected epoll, poll or uring`).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), OptionError> {
        match name {
            "reactor" => self.reactor = value.parse()?,
            "executor" => self.executor = value.parse()?,
            "workers" => self.workers = parse_workers(value)?,
            _ => return Err(OptionError::UnknownOption(name.to_owned())),
        }
        Ok(())
    }

    /// These options, with each of `BATON_REACTOR`, `BATON_EXECUTOR` and
    /// `BATON_WORKERS` that is set overriding its field.
    ///
    /// # Errors
    ///
    /// [`OptionError::Env`] naming the variable and its value, for a value
    /// that is not understood: `BATON_REACTOR="kqueue": expected epoll or
    /// poll`.
    pub fn with_env(self) -> Result<RuntimeOptions, OptionError> {
        self.with_vars(std::env::var_os)
    }

    /// [`with_env`](RuntimeOptions::with_env) over another source of
    /// variables (for tests, or a configuration file).
    pub(crate) fn with_vars(
        mut self,
        lookup: impl Fn(&'static str) -> Option<std::ffi::OsString>,
    ) -> Result<RuntimeOptions, OptionError> {
        for (var, name) in [
            (ENV_REACTOR, "reactor"),
            (ENV_EXECUTOR, "executor"),
            (ENV_WORKERS, "workers"),
        ] {
            let Some(raw) = lookup(var) else { continue };
            let value = raw.to_string_lossy().into_owned();
            let result = match raw.to_str() {
                Some(text) => self.set(name, text.trim()),
                None => Err(OptionError::NotUnicode),
            };
            result.map_err(|error| OptionError::Env {
                var,
                value,
                error: Box::new(error),
            })?;
        }
        Ok(self)
    }

    /// Builds the chosen reactor and executor.
    ///
    /// # Errors
    ///
    /// The reactor's or the executor's construction error (no poller, a
    /// worker thread that cannot start, zero workers).
    pub fn build(&self) -> Result<Runtime, Error> {
        self.executor.build(self.reactor.build()?, self.workers)
    }
}

fn parse_workers(value: &str) -> Result<usize, OptionError> {
    match value.parse::<usize>()? {
        0 => Err(OptionError::ZeroWorkers),
        n => Ok(n),
    }
}

impl Default for RuntimeOptions {
    /// epoll, multi, one worker per CPU.
    fn default() -> RuntimeOptions {
        RuntimeOptions {
            reactor: ReactorKind::Epoll,
            executor: ExecutorKind::Multi,
            workers: thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

impl fmt::Display for RuntimeOptions {
    /// `reactor epoll, executor multi (4 workers)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reactor {}, executor {}", self.reactor, self.executor)?;
        match self.executor {
            ExecutorKind::Local => Ok(()),
            ExecutorKind::Multi => write!(f, " ({} workers)", self.workers),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::ffi::OsString;

    use super::*;

    fn with(vars: &[(&'static str, &str)]) -> Result<RuntimeOptions, OptionError> {
        let vars: HashMap<&str, OsString> = vars.iter().map(|(k, v)| (*k, (*v).into())).collect();
        RuntimeOptions::for_tests().with_vars(|var| vars.get(var).cloned())
    }

    #[test]
    fn env_overrides_each_field() {
        let options = with(&[
            (ENV_REACTOR, "poll"),
            (ENV_EXECUTOR, "multi"),
            (ENV_WORKERS, "3"),
        ])
        .unwrap();
        assert_eq!(
            options,
            RuntimeOptions {
                reactor: ReactorKind::Poll,
                executor: ExecutorKind::Multi,
                workers: 3
            }
        );
        assert_eq!(with(&[]).unwrap(), RuntimeOptions::for_tests());
    }

    #[test]
    fn unknown_reactor_lists_the_valid_ones() {
        let error = with(&[(ENV_REACTOR, "kqueue")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "BATON_REACTOR=\"kqueue\": expected epoll, poll or uring"
        );
    }

    #[test]
    fn bad_workers_say_why() {
        let zero = with(&[(ENV_WORKERS, "0")]).unwrap_err();
        assert_eq!(zero.to_string(), "BATON_WORKERS=\"0\": must be at least 1");
        let word = with(&[(ENV_WORKERS, "many")]).unwrap_err();
        assert!(
            matches!(&word, OptionError::Env { error, .. } if matches!(**error, OptionError::NotANumber(_))),
            "{word:?}"
        );
        let executor = with(&[(ENV_EXECUTOR, "tokio")]).unwrap_err();
        assert_eq!(
            executor.to_string(),
            "BATON_EXECUTOR=\"tokio\": expected local or multi"
        );
    }

    #[test]
    fn set_refuses_other_names() {
        let mut options = RuntimeOptions::for_tests();
        assert!(matches!(
            options.set("port", "80"),
            Err(OptionError::UnknownOption(_))
        ));
        assert_eq!(options, RuntimeOptions::for_tests());
    }
}
