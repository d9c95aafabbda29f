//! One library, three runtimes: the RESP server's core
//! (`baton_examples::resp`, written against `baton-protocol` only) served
//! unchanged by baton's runtime (`resp`), under `#[tokio::main]`
//! (`resp_tokio`) and on smol (`resp_smol`), each driven by the real Redis
//! tools.

mod proc;

use std::path::PathBuf;
use std::time::Duration;

use proc::{GUARD, Server, run};

/// The three programs, and the flags that pick baton's runtime for the
/// first (the other two have theirs built in).
const PROGRAMS: [(&str, &[&str]); 3] = [
    (env!("CARGO_BIN_EXE_resp"), &["--workers", "2"]),
    (env!("CARGO_BIN_EXE_resp_tokio"), &[]),
    (env!("CARGO_BIN_EXE_resp_smol"), &[]),
];

/// `redis-benchmark` and `redis-cli`, or `None` (with the reason printed)
/// when they are not installed and this is not CI; in CI (`CI` set) they
/// must be there.
fn redis_tools() -> Option<(PathBuf, PathBuf)> {
    let find = |name: &str| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    };
    let tools = find("redis-benchmark").zip(find("redis-cli"));
    if tools.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the Redis tools are not installed: .ci/run installs redis-tools"
        );
        eprintln!(
            "skipping: redis-benchmark or redis-cli is not installed (apt-get install redis-tools); CI runs it"
        );
    }
    tools
}

#[test]
fn one_protocol_library_served_by_baton_tokio_and_smol() {
    let Some((benchmark, cli)) = redis_tools() else {
        return;
    };
    let (benchmark, cli) = (
        benchmark.to_str().expect("utf-8"),
        cli.to_str().expect("utf-8"),
    );
    for (program, flags) in PROGRAMS {
        let mut server = Server::start(program, flags);
        let port = server.port();
        let cli_says = |args: &[&str]| {
            let mut full = vec!["-h", "127.0.0.1", "-p", &port];
            full.extend(args);
            let out = run(cli, &full, GUARD);
            assert!(out.status.success(), "{program} {args:?}: {out:?}");
            out.stdout
        };
        assert_eq!(cli_says(&["PING"]), "PONG\n", "{program}");
        assert_eq!(cli_says(&["SET", "greeting", "hello"]), "OK\n", "{program}");
        assert_eq!(cli_says(&["GET", "greeting"]), "hello\n", "{program}");
        // Expiry runs on the protocol's timers, so on the host's reactor.
        assert_eq!(cli_says(&["SET", "brief", "x", "PX", "1"]), "OK\n");
        let start = std::time::Instant::now();
        while cli_says(&["EXISTS", "brief"]) != "0\n" {
            assert!(start.elapsed() < GUARD, "{program}: the key never expired");
        }
        // 50 clients, pipelined: many connections, one task each.
        let out = run(
            benchmark,
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-q",
                "-n",
                "20000",
                "-c",
                "50",
                "-P",
                "16",
                "-t",
                "set,get,incr",
            ],
            Duration::from_secs(120),
        );
        assert!(out.status.success(), "{program}: {out:?}");
        assert!(!out.stdout.contains("Error"), "{program}: {out:?}");
        // redis-benchmark ends once every request is answered: the counter
        // proves each INCR ran exactly once.
        assert_eq!(
            cli_says(&["GET", "counter:__rand_int__"]),
            "20000\n",
            "{program}"
        );
        server.assert_alive();
    }
}
