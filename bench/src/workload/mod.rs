//! The workloads: what each measures, its sizes, and how a child process
//! runs one measurement (`baton-bench run <runtime> <workload> <size>`).
//!
//! Every metric is *lower is better* (a time, a time per operation, bytes),
//! so a ratio below 1 to the reference runtime means faster or smaller.

mod files;
mod memory;
mod process;
mod reply;
mod sched;
mod spawn;
mod timers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use futures_channel::oneshot;
use serde_json::{Map, Value};

use crate::rt::{self, Kind, Rt};

/// The figures of one measurement, by metric name.
pub(crate) type Metrics = Map<String, Value>;

/// What a child process reports.
pub(crate) enum Outcome {
    /// The figures.
    Done(Metrics),
    /// The workload does not apply to the runtime, and why.
    Skipped(String),
}

/// One figure of a workload.
#[derive(Debug)]
pub(crate) struct Metric {
    /// The key in [`Metrics`].
    pub(crate) name: &'static str,
    /// Its unit, as the tables print it.
    pub(crate) unit: &'static str,
}

/// How the suite drives a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Driver {
    /// One child process: `run <runtime> <workload> <size>`.
    Child,
    /// A child that listens; the suite opens the idle connections.
    IdleConns,
    /// An echo server child (`serve`) and the load generator (`load`).
    Echo,
    /// The `resp` example or `redis-server`, and `redis-benchmark`.
    Resp,
    /// A hyper server child (`serve-http`), and `wrk`.
    Http,
}

/// A workload of the suite.
///
/// # Sizes
///
/// A size ending in [`LISTENER`] runs the same measurement with an idle TCP
/// listener bound on 127.0.0.1 and registered with the runtime's reactor
/// first, as in any server: baton's reactor skips the `epoll_wait` of a
/// non-blocking turn when nothing is registered, which an empty runtime
/// would otherwise flatter.
#[derive(Debug)]
pub(crate) struct Workload {
    /// Its name on the command line (`--filter`) and in the tables.
    pub(crate) name: &'static str,
    /// What it measures, for the tables' notes.
    pub(crate) what: &'static str,
    /// The sizes of a full run.
    pub(crate) sizes: &'static [&'static str],
    /// The sizes of `--quick`.
    pub(crate) quick: &'static [&'static str],
    /// The figures it reports.
    pub(crate) metrics: &'static [Metric],
    /// How the suite runs it.
    pub(crate) driver: Driver,
    /// The runtime every ratio is taken against.
    pub(crate) reference: Kind,
    /// Whether it uses the reactor's I/O or timers. One that does not runs
    /// on one reactor only (epoll) for each baton executor: the others
    /// would be more draws of the same executor. (Every executor still
    /// sleeps and wakes through its reactor when idle.)
    pub(crate) reactor: bool,
}

/// The suffix of a size measured with an idle listener registered.
pub(crate) const LISTENER: &str = "+listener";

/// Repeats of a micro-benchmark (one child process per measurement) in a
/// full run: enough for the rank test to separate at 5 %.
pub(crate) const MICRO_REPEATS: usize = 9;

/// Repeats of a server workload (echo, resp, http, idle connections),
/// each of which runs for seconds.
pub(crate) const SERVER_REPEATS: usize = 5;

impl Workload {
    /// Whether `kind` takes part.
    pub(crate) fn runs_on(&self, kind: Kind) -> bool {
        match self.driver {
            Driver::Child | Driver::IdleConns | Driver::Http => {
                kind.is_runtime() && !kind.is_owned_echo()
            }
            Driver::Echo => kind.is_runtime() || kind == Kind::Mio,
            Driver::Resp => {
                kind.resp_flags().is_some() || matches!(kind, Kind::Redis | Kind::MiniRedis)
            }
        }
    }

    /// Whether `kind` takes part when the runtimes are not chosen on the
    /// command line: not the pairs of a second and third reactor when the
    /// workload does not use the reactor.
    pub(crate) fn by_default(&self, kind: Kind) -> bool {
        self.runs_on(kind) && (self.reactor || !kind.is_baton() || kind.is_baton_epoll())
    }

    /// The repeats of a full run.
    pub(crate) fn repeats(&self) -> usize {
        match self.driver {
            Driver::Child => MICRO_REPEATS,
            Driver::IdleConns | Driver::Echo | Driver::Resp | Driver::Http => SERVER_REPEATS,
        }
    }
}

const TIME_MS: &[Metric] = &[Metric {
    name: "ms",
    unit: "ms",
}];

/// Every workload, in table order.
pub(crate) const ALL: &[Workload] = &[
    Workload {
        name: "spawn_inside",
        what: "N empty tasks spawned by a task of the runtime; time until the last one ran",
        sizes: &["100000", "1000000", "100000+listener"],
        quick: &["100000", "100000+listener"],
        metrics: TIME_MS,
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: false,
    },
    Workload {
        name: "spawn_protocol",
        what: "spawn_inside through the portable `baton_protocol::spawn` on baton (what library code uses); the peers' own spawn, as in spawn_inside",
        sizes: &["100000"],
        quick: &["100000"],
        metrics: TIME_MS,
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: false,
    },
    Workload {
        name: "spawn_foreign",
        what: "N empty tasks spawned from a thread outside the runtime; time until the last one ran",
        sizes: &["100000", "1000000"],
        quick: &["100000"],
        metrics: TIME_MS,
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: false,
    },
    Workload {
        name: "yield_many",
        what: "T tasks each yielding Y times (TxY)",
        sizes: &[
            "200x1000",
            "1x200000",
            "200x1000+listener",
            "1x200000+listener",
        ],
        quick: &["200x100", "1x20000", "1x20000+listener"],
        metrics: TIME_MS,
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: false,
    },
    Workload {
        name: "ping_pong",
        what: "N pings: a task spawns a task, and they exchange two oneshot messages (futures-channel)",
        sizes: &["100000", "100000+listener"],
        quick: &["10000"],
        metrics: TIME_MS,
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: false,
    },
    Workload {
        name: "chained_spawn",
        what: "a chain of N tasks, each spawning the next",
        sizes: &["100000", "100000+listener"],
        quick: &["10000"],
        metrics: TIME_MS,
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: false,
    },
    Workload {
        name: "request_reply",
        what: "N sequential requests over a channel to a server task, each answered through a one-shot: the runtime's own (baton Promise, tokio oneshot; smol has none: futures-channel), or futures-channel's on every runtime (-fc)",
        sizes: &["100000", "100000-fc"],
        quick: &["10000", "10000-fc"],
        metrics: TIME_MS,
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: false,
    },
    Workload {
        name: "timers",
        what: "N tasks each sleeping a random 1-50 ms: lateness past the deadline (p50, p99) and the process's CPU time",
        sizes: &["100000"],
        quick: &["10000"],
        metrics: &[
            Metric {
                name: "late_p50_us",
                unit: "µs",
            },
            Metric {
                name: "late_p99_us",
                unit: "µs",
            },
            Metric {
                name: "cpu_ms",
                unit: "ms",
            },
        ],
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: true,
    },
    Workload {
        name: "timer_cancel",
        what: "with N timers pending (random 1-60 s), insert + cancel of one more timer; and the insert of the N",
        sizes: &["1000000"],
        quick: &["100000"],
        metrics: &[
            Metric {
                name: "cancel_ns",
                unit: "ns",
            },
            Metric {
                name: "insert_ns",
                unit: "ns",
            },
        ],
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: true,
    },
    Workload {
        name: "process_spawn",
        what: "N child processes of /bin/true, one after another: spawn + wait for the exit status through the runtime's process API (baton_protocol::process, tokio::process, async-process), time per child",
        sizes: &["1000"],
        quick: &["100"],
        metrics: &[Metric {
            name: "us",
            unit: "µs/child",
        }],
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: true,
    },
    Workload {
        name: "tcp_echo",
        what: "C connections each echoing M-byte messages back and forth (CxM), one load generator process: wall time per round trip (all connections) and server CPU per round trip",
        sizes: &[
            "1x64",
            "16x64",
            "256x64",
            "1x16384",
            "16x16384",
            "256x16384",
        ],
        quick: &["16x64", "16x16384"],
        metrics: &[
            Metric {
                name: "wall_ns",
                unit: "ns/rt",
            },
            Metric {
                name: "cpu_ns",
                unit: "CPU ns/rt",
            },
        ],
        driver: Driver::Echo,
        reference: Kind::TokioMulti,
        reactor: true,
    },
    Workload {
        name: "resp",
        what: "redis-benchmark (SET and GET, 50 clients; P16: 16 pipelined) against the resp example on each baton pair, tokio's mini-redis (its application peer, tokio multi-thread) and redis-server (the reference): wall time per request (1e9 / requests per second) and server CPU per request",
        sizes: &["c50", "c50-P16"],
        quick: &["c50"],
        metrics: &[
            Metric {
                name: "set_ns",
                unit: "ns/req",
            },
            Metric {
                name: "get_ns",
                unit: "ns/req",
            },
            Metric {
                name: "cpu_ns",
                unit: "CPU ns/req",
            },
        ],
        driver: Driver::Resp,
        reference: Kind::Redis,
        reactor: true,
    },
    Workload {
        name: "http",
        what: "wrk (1 thread, C connections, keep-alive) against the same hyper HTTP/1.1 service on every runtime (baton-hyper; hyper-util's tokio glue; BatonIo + an async-io timer on smol): wall time per request (1e9 / requests per second), p99 latency, server CPU per request",
        sizes: &["c1", "c16", "c256"],
        quick: &["c16"],
        metrics: &[
            Metric {
                name: "req_ns",
                unit: "ns/req",
            },
            Metric {
                name: "p99_us",
                unit: "µs",
            },
            Metric {
                name: "cpu_ns",
                unit: "CPU ns/req",
            },
        ],
        driver: Driver::Http,
        reference: Kind::TokioMulti,
        reactor: true,
    },
    Workload {
        name: "fs_read",
        what: "a file (in the page cache) read to its end in 64 KiB reads through the runtime's own file API (baton_protocol::fs::File, tokio::fs::File, async_fs::File): total time, and time per MiB (1e6 / MiB/s)",
        sizes: &["256MiB"],
        quick: &["32MiB"],
        metrics: &[
            Metric {
                name: "ms",
                unit: "ms",
            },
            Metric {
                name: "us_per_mib",
                unit: "µs/MiB",
            },
        ],
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: true,
    },
    Workload {
        name: "idle_tasks",
        what: "N tasks spawned and parked for ever: memory per task (peak RSS growth / N) and peak RSS",
        sizes: &["100000"],
        quick: &["100000"],
        metrics: &[
            Metric {
                name: "bytes_per_task",
                unit: "B",
            },
            Metric {
                name: "peak_mib",
                unit: "MiB",
            },
        ],
        driver: Driver::Child,
        reference: Kind::TokioMulti,
        reactor: false,
    },
    Workload {
        name: "idle_conns",
        what: "N accepted TCP connections, each with a task waiting to read: memory per connection (peak RSS growth / N) and peak RSS",
        sizes: &["10000"],
        quick: &["1000"],
        metrics: &[
            Metric {
                name: "bytes_per_conn",
                unit: "B",
            },
            Metric {
                name: "peak_mib",
                unit: "MiB",
            },
        ],
        driver: Driver::IdleConns,
        reference: Kind::TokioMulti,
        reactor: true,
    },
];

/// Runs one measurement in this process: the child side of the suite.
///
/// # Errors
///
/// An unknown workload, a size it cannot parse, or a runtime that failed.
pub(crate) fn run(kind: Kind, workload: &str, size: &str) -> Result<Outcome, String> {
    let bad_size = || format!("{workload}: bad size {size:?}");
    let (size, listener) = match size.strip_suffix(LISTENER) {
        Some(size) => (size, true),
        None => (size, false),
    };
    // Only the timed jobs of `measure` take an idle listener.
    let plain = || if listener { Err(bad_size()) } else { Ok(()) };
    match workload {
        "spawn_inside" | "spawn_protocol" => {
            let n = count(size).ok_or_else(bad_size)?;
            let protocol = workload == "spawn_protocol";
            measure(kind, spawn::Inside { n, protocol }, listener)
        }
        "spawn_foreign" => {
            plain()?;
            let job = spawn::Foreign(count(size).ok_or_else(bad_size)?);
            rt::with_runtime(kind, job)
        }
        "chained_spawn" => {
            let job = spawn::Chained(count(size).ok_or_else(bad_size)?);
            measure(kind, job, listener)
        }
        "yield_many" => {
            let (tasks, yields) = pair(size).ok_or_else(bad_size)?;
            measure(kind, sched::YieldMany { tasks, yields }, listener)
        }
        "ping_pong" => {
            let job = sched::PingPong(count(size).ok_or_else(bad_size)?);
            measure(kind, job, listener)
        }
        "request_reply" => {
            let (n, neutral) = match size.strip_suffix("-fc") {
                Some(n) => (n, true),
                None => (size, false),
            };
            let n = count(n).ok_or_else(bad_size)?;
            measure(kind, reply::RequestReply { n, neutral }, listener)
        }
        "timers" => {
            plain()?;
            rt::with_runtime(kind, timers::Sleeps(count(size).ok_or_else(bad_size)?))
        }
        "timer_cancel" => {
            plain()?;
            let pending = count(size).ok_or_else(bad_size)?;
            rt::with_runtime(kind, timers::Cancel { pending })
        }
        "process_spawn" => {
            plain()?;
            rt::with_runtime(kind, process::SpawnWait(count(size).ok_or_else(bad_size)?))
        }
        "idle_tasks" => {
            plain()?;
            rt::with_runtime(kind, memory::IdleTasks(count(size).ok_or_else(bad_size)?))
        }
        "fs_read" => {
            plain()?;
            let bytes = files::mebibytes(size).ok_or_else(bad_size)?;
            rt::with_runtime(kind, files::FsRead { bytes })?
        }
        "idle_conns" => {
            plain()?;
            rt::with_runtime(kind, memory::IdleConns(count(size).ok_or_else(bad_size)?))
        }
        _ => Err(format!("unknown workload {workload:?}")),
    }
}

/// A timed job: a warm-up run, then the measured one, in milliseconds;
/// with `listener`, an idle listener registered with the runtime first.
fn measure<J: rt::Job<Output = f64> + Clone>(
    kind: Kind,
    job: J,
    listener: bool,
) -> Result<Outcome, String> {
    rt::with_runtime(kind, Warm { job, listener })?
}

/// Runs a timed job twice on the same runtime, reporting the second.
#[derive(Clone)]
struct Warm<J> {
    job: J,
    /// Register an idle listener on 127.0.0.1 first.
    listener: bool,
}

impl<J: rt::Job<Output = f64> + Clone> rt::Job for Warm<J> {
    type Output = Result<Outcome, String>;

    fn run<R: rt::Rt>(self, rt: &R) -> Result<Outcome, String> {
        if self.listener {
            let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
                .map_err(|e| format!("cannot bind the idle listener: {e}"))?;
            // Registered inside the runtime; its accept task lives on.
            rt.block_on(async move { R::spawn(R::idle_listener(listener)) });
        }
        let _ = self.job.clone().run(rt);
        let ms = self.job.run(rt);
        Ok(Outcome::Done(metrics([("ms", ms)])))
    }
}

/// A metrics map.
pub(crate) fn metrics<const N: usize>(figures: [(&str, f64); N]) -> Metrics {
    figures
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect()
}

/// A count: `100000`, `100k`, `1M`.
fn count(size: &str) -> Option<usize> {
    let (digits, scale) = if let Some(d) = size.strip_suffix('k') {
        (d, 1_000)
    } else if let Some(d) = size.strip_suffix('M') {
        (d, 1_000_000)
    } else {
        (size, 1)
    };
    digits
        .parse::<usize>()
        .ok()?
        .checked_mul(scale)
        .filter(|&n| n > 0)
}

/// Two counts: `AxB`.
fn pair(size: &str) -> Option<(usize, usize)> {
    let (a, b) = size.split_once('x')?;
    Some((count(a)?, count(b)?))
}

/// Tells a waiting task when the last of N tasks is done; runtime-neutral
/// (futures-channel).
pub(crate) struct Countdown {
    left: AtomicUsize,
    done: Mutex<Option<oneshot::Sender<()>>>,
}

impl Countdown {
    /// A countdown from `n`, and the receiver its last tick completes.
    pub(crate) fn new(n: usize) -> (Arc<Countdown>, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let countdown = Countdown {
            left: AtomicUsize::new(n),
            done: Mutex::new(Some(tx)),
        };
        (Arc::new(countdown), rx)
    }

    /// Times a fan-out on `rt`: one task of the runtime calls `spawn_one`
    /// `n` times, and each piece of work it starts ticks the countdown it
    /// is given when done. Milliseconds until the last tick.
    pub(crate) fn fan_out<R: Rt>(
        rt: &R,
        n: usize,
        spawn_one: impl Fn(Arc<Countdown>) + Send + 'static,
    ) -> f64 {
        rt.block_on(async move {
            let start = Instant::now();
            let (countdown, done) = Countdown::new(n);
            R::spawn(async move {
                for _ in 0..n {
                    spawn_one(Arc::clone(&countdown));
                }
            });
            done.await.expect("the last task says so");
            start.elapsed().as_secs_f64() * 1e3
        })
    }

    /// One done.
    pub(crate) fn tick(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            let done = self
                .done
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(tx) = done {
                let _ = tx.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ALL, LISTENER, count, pair};
    use crate::rt::Kind;

    #[test]
    fn reactor_free_workloads_run_on_one_reactor() {
        let find = |name| ALL.iter().find(|w| w.name == name).expect(name);
        let spawn = find("spawn_inside");
        assert!(spawn.by_default(Kind::BatonEpollMulti));
        assert!(spawn.by_default(Kind::BatonEpollLocal));
        assert!(!spawn.by_default(Kind::BatonPollMulti));
        assert!(!spawn.by_default(Kind::BatonUringLocal));
        assert!(spawn.by_default(Kind::SmolLocal));
        assert!(spawn.by_default(Kind::HostTokioMulti));
        // Named on the command line, a second reactor still runs it.
        assert!(spawn.runs_on(Kind::BatonPollMulti));
        let echo = find("tcp_echo");
        assert!(echo.by_default(Kind::BatonPollMulti));
        assert!(echo.by_default(Kind::BatonUringLocal));
        let resp = find("resp");
        assert!(resp.by_default(Kind::MiniRedis));
        assert!(!spawn.runs_on(Kind::MiniRedis));
        assert_eq!(spawn.repeats(), 9);
        assert_eq!(echo.repeats(), 5);
    }

    #[test]
    fn listener_sizes_only_on_timed_jobs() {
        // Each `+listener` size beside its plain one, in the same set.
        for w in ALL {
            for sizes in [w.sizes, w.quick] {
                for size in sizes {
                    if let Some(plain) = size.strip_suffix(LISTENER) {
                        assert!(!w.reactor, "{} {size}", w.name);
                        assert!(sizes.contains(&plain), "{} {size}", w.name);
                    }
                }
            }
        }
        let err = super::run(Kind::TokioCurrent, "timers", "10+listener");
        assert!(err.is_err(), "timers takes no listener");
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(count("100000"), Some(100_000));
        assert_eq!(count("100k"), Some(100_000));
        assert_eq!(count("1M"), Some(1_000_000));
        assert_eq!(count("0"), None);
        assert_eq!(count("x"), None);
        assert_eq!(pair("200x1000"), Some((200, 1000)));
        assert_eq!(pair("200"), None);
        assert_eq!(super::files::mebibytes("256MiB"), Some(256 << 20));
        assert_eq!(super::files::mebibytes("256"), None);
    }
}
