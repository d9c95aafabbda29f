//! The runtimes under test, behind one small trait, so that each workload is
//! written once and runs on every runtime.
//!
//! [`Rt`] is what a workload asks of a runtime: `block_on`, a detached spawn
//! from inside a task (each runtime's own idiom: `baton_protocol::spawn`,
//! `Runtime::spawn` or `spawn_local`, `tokio::spawn`,
//! `Executor::spawn(..).detach()`), a handle to spawn from a
//! foreign thread, `yield_now`, a timer, a one-shot reply channel, and two
//! TCP servers (echo, and idle connections for the memory workload).

pub(crate) mod baton;
pub(crate) mod smol;
pub(crate) mod tokio;

use std::fmt;
use std::future::Future;
use std::io;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

/// One runtime configuration, by the name the command line and the results
/// use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// baton: `Runtime` (multi-thread) on the epoll reactor.
    BatonEpollMulti,
    /// baton: `LocalExecutor` on the epoll reactor.
    BatonEpollLocal,
    /// baton: `Runtime` on the polling reactor.
    BatonPollMulti,
    /// baton: `LocalExecutor` on the polling reactor.
    BatonPollLocal,
    /// baton: `Runtime` on the io_uring reactor.
    BatonUringMulti,
    /// baton: `LocalExecutor` on the io_uring reactor.
    BatonUringLocal,
    /// The owned-buffer echo (`read_owned` / `write_owned`) on the io_uring
    /// reactor in completion mode, `LocalExecutor` (echo only).
    BatonUringCompletionLocal,
    /// The owned-buffer echo on the io_uring reactor in readiness mode,
    /// `LocalExecutor` (echo only): completion mode's baseline.
    BatonUringOwnedLocal,
    /// The owned-buffer echo on the epoll reactor, `LocalExecutor` (echo
    /// only).
    BatonEpollOwnedLocal,
    /// tokio's multi-thread runtime: the reference of every ratio.
    TokioMulti,
    /// tokio's current-thread runtime.
    TokioCurrent,
    /// smol: async-executor's `Executor` on worker threads, with async-io.
    SmolMulti,
    /// smol: async-executor's `LocalExecutor`, with async-io.
    SmolLocal,
    /// tokio's multi-thread runtime hosting the protocol
    /// (`baton-host-tokio`): protocol code, tokio's threads.
    HostTokioMulti,
    /// tokio's current-thread runtime hosting the protocol.
    HostTokioCurrent,
    /// tokio's multi-thread runtime hosting the protocol over baton's epoll
    /// reactor as a guest (the guest road), where `host-tokio-multi` uses
    /// `TokioReactor` (the native road).
    HostTokioGuestMulti,
    /// tokio's current-thread runtime hosting the protocol over the epoll
    /// reactor as a guest.
    HostTokioGuestCurrent,
    /// smol's `Executor` on worker threads hosting the protocol
    /// (`baton-host-smol`).
    HostSmolMulti,
    /// smol's `Executor` run by the `block_on` thread alone, hosting the
    /// protocol.
    HostSmolLocal,
    /// No runtime: a hand-written single-threaded mio loop (echo only).
    Mio,
    /// A real `redis-server` (the `resp` workload's reference line).
    Redis,
    /// tokio's mini-redis (`baton-bench serve-mini-redis`): the `resp`
    /// workload's application peer, on tokio's multi-thread runtime.
    MiniRedis,
}

/// An executor's kind, for like-with-like verdicts: baton's multi-thread
/// `Runtime` against tokio's and smol's multi-thread executors, its
/// `LocalExecutor` against tokio's current-thread runtime and smol's
/// `LocalExecutor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// Work-stealing worker threads.
    Multi,
    /// One thread, the caller's.
    Local,
}

impl Kind {
    /// Every runtime, in table order.
    pub(crate) const ALL: [Kind; 22] = [
        Kind::BatonEpollMulti,
        Kind::BatonEpollLocal,
        Kind::BatonPollMulti,
        Kind::BatonPollLocal,
        Kind::BatonUringMulti,
        Kind::BatonUringLocal,
        Kind::BatonUringCompletionLocal,
        Kind::BatonUringOwnedLocal,
        Kind::BatonEpollOwnedLocal,
        Kind::TokioMulti,
        Kind::TokioCurrent,
        Kind::SmolMulti,
        Kind::SmolLocal,
        Kind::HostTokioMulti,
        Kind::HostTokioCurrent,
        Kind::HostTokioGuestMulti,
        Kind::HostTokioGuestCurrent,
        Kind::HostSmolMulti,
        Kind::HostSmolLocal,
        Kind::Mio,
        Kind::Redis,
        Kind::MiniRedis,
    ];

    /// The name on the command line and in the results.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::BatonEpollMulti => "baton-epoll-multi",
            Kind::BatonEpollLocal => "baton-epoll-local",
            Kind::BatonPollMulti => "baton-poll-multi",
            Kind::BatonPollLocal => "baton-poll-local",
            Kind::BatonUringMulti => "baton-uring-multi",
            Kind::BatonUringLocal => "baton-uring-local",
            Kind::BatonUringCompletionLocal => "baton-uring-completion-local",
            Kind::BatonUringOwnedLocal => "baton-uring-owned-local",
            Kind::BatonEpollOwnedLocal => "baton-epoll-owned-local",
            Kind::TokioMulti => "tokio-multi",
            Kind::TokioCurrent => "tokio-current",
            Kind::SmolMulti => "smol-multi",
            Kind::SmolLocal => "smol-local",
            Kind::HostTokioMulti => "host-tokio-multi",
            Kind::HostTokioCurrent => "host-tokio-current",
            Kind::HostTokioGuestMulti => "host-tokio-guest-multi",
            Kind::HostTokioGuestCurrent => "host-tokio-guest-current",
            Kind::HostSmolMulti => "host-smol-multi",
            Kind::HostSmolLocal => "host-smol-local",
            Kind::Mio => "mio",
            Kind::Redis => "redis-server",
            Kind::MiniRedis => "mini-redis",
        }
    }

    /// The runtime called `name`.
    pub(crate) fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// One of baton's reactor × executor pairs.
    pub(crate) fn is_baton(self) -> bool {
        matches!(
            self,
            Kind::BatonEpollMulti
                | Kind::BatonEpollLocal
                | Kind::BatonPollMulti
                | Kind::BatonPollLocal
                | Kind::BatonUringMulti
                | Kind::BatonUringLocal
        ) || self.is_owned_echo()
    }

    /// A baton pair on the epoll reactor: the one pair per executor that
    /// runs the workloads which never touch the reactor's I/O or timers.
    pub(crate) fn is_baton_epoll(self) -> bool {
        matches!(self, Kind::BatonEpollMulti | Kind::BatonEpollLocal)
    }

    /// The executor's kind, for baton's pairs (but the owned-buffer echo)
    /// and the peers; mini-redis runs on tokio's multi-thread runtime.
    pub(crate) fn family(self) -> Option<Family> {
        match self {
            Kind::BatonEpollMulti
            | Kind::BatonPollMulti
            | Kind::BatonUringMulti
            | Kind::TokioMulti
            | Kind::SmolMulti
            | Kind::MiniRedis => Some(Family::Multi),
            Kind::BatonEpollLocal
            | Kind::BatonPollLocal
            | Kind::BatonUringLocal
            | Kind::TokioCurrent
            | Kind::SmolLocal => Some(Family::Local),
            _ => None,
        }
    }

    /// A pair that runs the owned-buffer echo (the completion I/O
    /// experiment): it takes part in `tcp_echo` only.
    pub(crate) fn is_owned_echo(self) -> bool {
        matches!(
            self,
            Kind::BatonUringCompletionLocal
                | Kind::BatonUringOwnedLocal
                | Kind::BatonEpollOwnedLocal
        )
    }

    /// One of the peers baton is measured against (tokio, smol).
    pub(crate) fn is_peer(self) -> bool {
        matches!(
            self,
            Kind::TokioMulti | Kind::TokioCurrent | Kind::SmolMulti | Kind::SmolLocal
        )
    }

    /// A peer runtime hosting the protocol: protocol code on tokio's or
    /// smol's threads.
    pub(crate) fn is_host(self) -> bool {
        matches!(
            self,
            Kind::HostTokioMulti
                | Kind::HostTokioCurrent
                | Kind::HostTokioGuestMulti
                | Kind::HostTokioGuestCurrent
                | Kind::HostSmolMulti
                | Kind::HostSmolLocal
        )
    }

    /// An async runtime under test (every kind but the mio loop and the
    /// two RESP servers, redis-server and mini-redis).
    pub(crate) fn is_runtime(self) -> bool {
        self.is_baton() || self.is_peer() || self.is_host()
    }

    /// The reactor and executor flags of the `resp` example for a baton
    /// pair.
    pub(crate) fn resp_flags(self) -> Option<(&'static str, &'static str)> {
        match self {
            Kind::BatonEpollMulti => Some(("epoll", "multi")),
            Kind::BatonEpollLocal => Some(("epoll", "local")),
            Kind::BatonPollMulti => Some(("poll", "multi")),
            Kind::BatonPollLocal => Some(("poll", "local")),
            Kind::BatonUringMulti => Some(("uring", "multi")),
            Kind::BatonUringLocal => Some(("uring", "local")),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The worker count of every multi-thread runtime: tokio's default, one per
/// core.
pub(crate) fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// What a workload needs of a runtime.
pub(crate) trait Rt {
    /// Spawns from threads that are not the runtime's.
    type Remote: Remote;
    /// The runtime's timer future.
    type Sleep: Future + Send + 'static;
    /// The runtime's own one-shot reply channel.
    type Shot: OneShot;

    /// Runs `future` to completion on the calling thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// A spawner for foreign threads; `None` when the runtime has none
    /// (smol's `LocalExecutor` is `!Send`).
    fn remote(&self) -> Option<Self::Remote>;

    /// Spawns a detached task from inside the runtime.
    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Spawns a detached task through the portable path: for baton,
    /// `baton_protocol::spawn`; a peer has only its own spawn.
    fn spawn_protocol<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Self::spawn(future);
    }

    /// Yields once to the scheduler.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// A timer that fires at `deadline`.
    fn sleep_until(deadline: Instant) -> Self::Sleep;

    /// Runs `program` (no arguments, standard streams inherited) as a child
    /// process and waits for its exit status, through the runtime's own
    /// process API.
    fn status(program: &'static str) -> impl Future<Output = std::process::ExitStatus>;

    /// Accepts connections on `listener` for ever, echoing every byte back
    /// on each, one task per connection.
    fn serve_echo(listener: TcpListener) -> impl Future<Output = ()>;

    /// Accepts connections on `listener` for ever, serving HTTP/1.1 with
    /// hyper ([`crate::http::hello`]) on each, one task per connection,
    /// through the runtime's hyper glue.
    fn serve_http(listener: TcpListener) -> impl Future<Output = ()>;

    /// Accepts connections on `listener` for ever; each connection's task
    /// reads one byte, adds one to `ready`, then waits to read again.
    fn serve_idle(listener: TcpListener, ready: Arc<AtomicUsize>) -> impl Future<Output = ()>;

    /// Registers `listener` with the runtime's reactor (called inside the
    /// runtime: in `block_on` or a task) and returns a task that accepts on
    /// it for ever, closing what it accepts: the idle listener of the
    /// `+listener` sizes, as any server has one.
    fn idle_listener(listener: TcpListener) -> impl Future<Output = ()> + Send + 'static;

    /// Opens the file at `path` with the runtime's own file API and reads
    /// it to its end, `buf` bytes per `read` call (one buffer, reused);
    /// returns the bytes read.
    fn read_file(path: PathBuf, buf: usize) -> impl Future<Output = io::Result<u64>>;
}

/// Spawns detached tasks from any thread.
pub(crate) trait Remote: Clone + Send + Sync + 'static {
    /// Spawns `future`; the task is detached.
    fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static;
}

/// For runtimes without a foreign-thread spawner.
#[derive(Clone, Copy, Debug)]
pub(crate) enum NoRemote {}

impl Remote for NoRemote {
    fn spawn<F>(&self, _: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match *self {}
    }
}

/// A one-shot channel carrying a `u64` reply.
pub(crate) trait OneShot {
    /// The completing half.
    type Tx: Send + 'static;
    /// The awaiting half.
    type Rx: Send + 'static;

    /// A new channel.
    fn pair() -> (Self::Tx, Self::Rx);

    /// Completes the channel with `value`.
    fn send(tx: Self::Tx, value: u64);

    /// Waits for the value.
    fn recv(rx: Self::Rx) -> impl Future<Output = u64> + Send;
}

/// futures-channel's oneshot: the runtime-neutral one-shot.
#[derive(Debug)]
pub(crate) struct FuturesShot;

impl OneShot for FuturesShot {
    type Tx = futures_channel::oneshot::Sender<u64>;
    type Rx = futures_channel::oneshot::Receiver<u64>;

    fn pair() -> (Self::Tx, Self::Rx) {
        futures_channel::oneshot::channel()
    }

    fn send(tx: Self::Tx, value: u64) {
        let _ = tx.send(value);
    }

    async fn recv(rx: Self::Rx) -> u64 {
        rx.await.expect("the server replies to every request")
    }
}

/// A measurement generic over the runtime.
pub(crate) trait Job {
    /// What the measurement returns.
    type Output;

    /// Runs the measurement on `rt`.
    fn run<R: Rt>(self, rt: &R) -> Self::Output;
}

/// Builds the runtime `kind` and runs `job` on it.
///
/// # Errors
///
/// `kind` is not an async runtime, or it could not be built.
pub(crate) fn with_runtime<J: Job>(kind: Kind, job: J) -> Result<J::Output, String> {
    let workers = workers();
    let err = |e: baton_protocol::Error| format!("{kind}: {e}");
    Ok(match kind {
        Kind::BatonEpollMulti => {
            let reactor = baton_reactor_epoll::EpollReactor::new().map_err(err)?;
            job.run(&baton::Multi::new(reactor, workers).map_err(err)?)
        }
        Kind::BatonPollMulti => {
            let reactor = baton_reactor_poll::PollReactor::new().map_err(err)?;
            job.run(&baton::Multi::new(reactor, workers).map_err(err)?)
        }
        Kind::BatonEpollLocal => {
            let reactor = baton_reactor_epoll::EpollReactor::new().map_err(err)?;
            job.run(&baton::Local::new(reactor).map_err(err)?)
        }
        Kind::BatonPollLocal => {
            let reactor = baton_reactor_poll::PollReactor::new().map_err(err)?;
            job.run(&baton::Local::new(reactor).map_err(err)?)
        }
        Kind::BatonUringMulti => {
            let reactor = baton_reactor_uring::UringReactor::new().map_err(err)?;
            job.run(&baton::Multi::new(reactor, workers).map_err(err)?)
        }
        Kind::BatonUringLocal => {
            let reactor = baton_reactor_uring::UringReactor::new().map_err(err)?;
            job.run(&baton::Local::new(reactor).map_err(err)?)
        }
        Kind::BatonUringCompletionLocal => {
            let reactor = baton_reactor_uring::UringReactor::builder()
                .completion(true)
                .build()
                .map_err(err)?;
            job.run(&baton::LocalOwned::new(reactor).map_err(err)?)
        }
        Kind::BatonUringOwnedLocal => {
            let reactor = baton_reactor_uring::UringReactor::new().map_err(err)?;
            job.run(&baton::LocalOwned::new(reactor).map_err(err)?)
        }
        Kind::BatonEpollOwnedLocal => {
            let reactor = baton_reactor_epoll::EpollReactor::new().map_err(err)?;
            job.run(&baton::LocalOwned::new(reactor).map_err(err)?)
        }
        Kind::TokioMulti => job.run(&tokio::Tokio::multi(workers).map_err(|e| e.to_string())?),
        Kind::TokioCurrent => job.run(&tokio::Tokio::current().map_err(|e| e.to_string())?),
        Kind::SmolMulti => job.run(&smol::Multi::new(workers).map_err(|e| e.to_string())?),
        Kind::SmolLocal => job.run(&smol::Local),
        Kind::HostTokioMulti => job.run(&baton::HostTokio::new(Some(workers), false)?),
        Kind::HostTokioCurrent => job.run(&baton::HostTokio::new(None, false)?),
        Kind::HostTokioGuestMulti => job.run(&baton::HostTokio::new(Some(workers), true)?),
        Kind::HostTokioGuestCurrent => job.run(&baton::HostTokio::new(None, true)?),
        Kind::HostSmolMulti => job.run(&baton::HostSmol::new(workers)?),
        Kind::HostSmolLocal => job.run(&baton::HostSmol::new(0)?),
        Kind::Mio | Kind::Redis | Kind::MiniRedis => {
            return Err(format!("{kind} is not an async runtime"));
        }
    })
}

/// The read buffer of an echo connection, the same on every runtime.
pub(crate) const ECHO_BUFFER: usize = 64 * 1024;

/// The read buffer of an idle connection's task, the same on every runtime.
pub(crate) const IDLE_BUFFER: usize = 64;
