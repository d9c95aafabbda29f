//! The `resp` workload: `redis-benchmark` against the `resp` example server
//! (each baton pair), against tokio's mini-redis (`baton-bench
//! serve-mini-redis`, its application peer) and against a real
//! `redis-server`, the reference line.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::Answer;
use super::child::Running;
use crate::proc;
use crate::rt::Kind;
use crate::workload::metrics;

/// The programs the workload needs, or why each is missing.
pub(super) struct Tools {
    resp: Result<PathBuf, String>,
    redis_server: Result<PathBuf, String>,
    redis_benchmark: Result<PathBuf, String>,
    /// This binary, which serves mini-redis.
    bench: PathBuf,
}

/// `name` on the `PATH`.
fn on_path(name: &str) -> Result<PathBuf, String> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!("`{name}` is not installed (apt-get install redis-server redis-tools)")
        })
}

impl Tools {
    pub(super) fn find(resp: Option<&Path>, bench: &Path) -> Tools {
        Tools {
            resp: resp.map(Path::to_path_buf).ok_or_else(|| {
                "the `resp` example server is not built (examples/ has no `resp` binary)".to_owned()
            }),
            redis_server: on_path("redis-server"),
            redis_benchmark: on_path("redis-benchmark"),
            bench: bench.to_path_buf(),
        }
    }

    /// One measurement: start the server, run `redis-benchmark`, stop it.
    pub(super) fn run(
        &self,
        kind: Kind,
        size: &str,
        quick: bool,
        deadline: Instant,
    ) -> Result<Answer, String> {
        let bench = match &self.redis_benchmark {
            Ok(path) => path,
            Err(reason) => return Ok(Answer::Skipped(reason.clone())),
        };
        let port = free_port()?;
        let mut cmd = match (kind.resp_flags(), &self.resp, &self.redis_server) {
            _ if kind == Kind::MiniRedis => {
                let mut cmd = Command::new(&self.bench);
                cmd.args(["serve-mini-redis", &port.to_string()]);
                cmd
            }
            (Some(_), Err(reason), _) | (None, _, Err(reason)) => {
                return Ok(Answer::Skipped(reason.clone()));
            }
            (Some((reactor, executor)), Ok(resp), _) => {
                let mut cmd = Command::new(resp);
                cmd.args(["--reactor", reactor, "--executor", executor])
                    .args(["--port", &port.to_string()]);
                if executor == "multi" {
                    cmd.args(["--workers", &crate::rt::workers().to_string()]);
                }
                cmd
            }
            (None, _, Ok(redis)) => {
                let mut cmd = Command::new(redis);
                cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                    .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                    .args(["--protected-mode", "no", "--loglevel", "warning"]);
                cmd
            }
        };
        cmd.stderr(Stdio::null());
        let server = Running::start(cmd, format!("resp server on {kind}"))?;
        wait_listening(port, deadline)?;
        let (n, pipeline) = match (size, quick) {
            ("c50", false) => (200_000, "1"),
            ("c50-P16", false) => (2_000_000, "16"),
            ("c50", true) => (20_000, "1"),
            ("c50-P16", true) => (200_000, "16"),
            _ => return Err(format!("bad size {size:?}")),
        };
        // mini-redis sends each reply on its own (one `sendto` per reply,
        // no TCP_NODELAY) and serves about 18 000 pipelined requests a
        // second, 20× fewer than the others: a tenth of the requests keeps
        // its run near theirs. The figures are per request.
        let n = if kind == Kind::MiniRedis && pipeline != "1" {
            n / 10
        } else {
            n
        };
        let cpu = proc::cpu_ns(server.pid()).map_err(|e| e.to_string())?;
        let output = Command::new(bench)
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-t", "set,get", "-n", &n.to_string(), "-c", "50"])
            .args(["-P", pipeline, "--csv"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("redis-benchmark: {e}"))?;
        let cpu = proc::cpu_ns(server.pid())
            .map_err(|e| e.to_string())?
            .saturating_sub(cpu);
        server.finish();
        if !output.status.success() {
            return Err(format!(
                "redis-benchmark failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let csv = String::from_utf8_lossy(&output.stdout);
        let rps = |test: &str| -> Result<f64, String> {
            csv.lines()
                .find_map(|line| {
                    let mut fields = line.split(',').map(|f| f.trim_matches('"'));
                    (fields.next()? == test).then(|| fields.next()?.parse::<f64>().ok())?
                })
                .filter(|&r| r > 0.0)
                .ok_or_else(|| format!("no {test} figure in redis-benchmark's output: {csv}"))
        };
        let (set, get) = (rps("SET")?, rps("GET")?);
        Ok(Answer::Done(metrics([
            ("set_ns", 1e9 / set),
            ("get_ns", 1e9 / get),
            ("cpu_ns", cpu as f64 / (2 * n) as f64),
        ])))
    }
}

/// A loopback port nobody listens on now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// Waits until something accepts connections on `port`.
fn wait_listening(port: u16, deadline: Instant) -> Result<(), String> {
    let deadline = deadline.min(Instant::now() + Duration::from_secs(20));
    loop {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("the server never listened on port {port}"));
        }
        thread::sleep(Duration::from_millis(10));
    }
}
