//! `echo`: the server echoes exactly what clients send, and the client's
//! count of checked round trips is right, on every reactor × executor.

mod proc;

use proc::{GUARD, Server, run, runtimes};

const ECHO: &str = env!("CARGO_BIN_EXE_echo");

#[test]
fn server_and_client_on_every_runtime() {
    for runtime in runtimes() {
        let mut args = vec!["server"];
        args.extend(&runtime);
        let mut server = Server::start(ECHO, &args);

        // A raw client gets back its bytes, in order, across many writes.
        let mut conn = server.connect();
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let writer = {
            let mut stream = conn.stream.try_clone().expect("clone");
            let payload = payload.clone();
            std::thread::spawn(move || {
                use std::io::Write;
                for chunk in payload.chunks(3000) {
                    stream.write_all(chunk).expect("write");
                }
            })
        };
        assert_eq!(conn.read_n(payload.len()), payload, "{runtime:?}");
        writer.join().expect("writer");
        conn.shutdown_write();
        assert_eq!(conn.until_eof(), b"", "closes after the client's end");

        // The client binary, on the same runtime, checks every echo.
        let addr = server.addr.to_string();
        let mut client = vec!["client", "--addr", &addr, "--connections", "4"];
        client.extend(["--count", "2001", "--size", "100"]);
        client.extend(&runtime);
        let out = run(ECHO, &client, GUARD);
        assert!(out.status.success(), "{runtime:?}: {out:?}");
        assert!(
            out.stdout.starts_with("echo client: 2001 round trips in "),
            "{runtime:?}: {}",
            out.stdout
        );
        assert!(out.stdout.contains("round trips/s"), "{}", out.stdout);
        assert!(
            out.stdout.contains("(4 connections x 100 bytes)"),
            "{}",
            out.stdout
        );
        server.assert_alive();
    }
}

#[test]
fn client_for_a_duration() {
    let server = Server::start(ECHO, &["server", "--executor", "local"]);
    let addr = server.addr.to_string();
    let out = run(
        ECHO,
        &["client", "--addr", &addr, "--duration", "0.3"],
        GUARD,
    );
    assert!(out.status.success(), "{out:?}");
    let count: u64 = out
        .stdout
        .strip_prefix("echo client: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {:?}", out.stdout));
    assert!(count > 0, "{}", out.stdout);
    let secs: f64 = out
        .stdout
        .split(" in ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("elapsed");
    assert!(secs >= 0.3, "ran at least the duration: {}", out.stdout);
}

#[test]
fn client_reports_a_refused_connection() {
    // A port nobody listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let out = run(ECHO, &["client", "--addr", &addr, "--count", "1"], GUARD);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("refused"), "{}", out.stderr);
}

#[test]
fn help_and_usage_errors() {
    let out = run(ECHO, &["--help"], GUARD);
    assert!(out.status.success());
    for flag in [
        "--bind",
        "--port",
        "--addr",
        "--connections",
        "--size",
        "--count",
        "--duration",
        "--timeout",
        "--reactor",
        "--executor",
        "--workers",
    ] {
        assert!(out.stdout.contains(flag), "--help documents {flag}");
    }
    for bad in [
        &["server", "--reactor", "kqueue"][..],
        &["server", "--workers", "0"],
        &["client"],
        &["client", "--addr", "127.0.0.1:1", "--size", "0"],
        &["serve"],
        &["server", "--nope"],
    ] {
        let out = run(ECHO, bad, GUARD);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
        assert!(out.stderr.starts_with("error: "), "{bad:?}: {}", out.stderr);
    }
}
