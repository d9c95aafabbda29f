//! `http`: the server driven by real clients (`curl` over HTTP/1.1 and h2c,
//! `wrk`, the binary's own hyper client) on every reactor × executor pair;
//! bad input (malformed, oversized, cut off, silent, slow, panicking)
//! refused without harm to anyone else and without a leaked fd; graceful
//! shutdown on SIGINT and SIGTERM.

mod proc;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proc::{Conn, GUARD, Server, run, runtimes};

const HTTP: &str = env!("CARGO_BIN_EXE_http");

/// Starts `http server` with `args` (runtime flags and deadlines).
fn server(args: &[&str]) -> Server {
    Server::start(HTTP, &[&["server"], args].concat())
}

/// `program` on the `PATH`, or `None` (with the reason printed) when it is
/// not installed and this is not CI; in CI (`CI` set) it must be there.
fn tool(program: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {program} is not installed: .ci/run installs it"
        );
        eprintln!("skipping: {program} is not installed (apt-get install {program}); CI runs it");
    }
    found
}

/// Runs curl on `urls` (one connection, reused), with `flags`; returns its
/// standard output, each transfer followed by `\n<code> <version>`.
fn curl(curl: &Path, flags: &[&str], urls: &[String]) -> String {
    let mut args = vec![
        "-sS",
        "--max-time",
        "10",
        "-w",
        "\n%{http_code} %{http_version}\n",
    ];
    args.extend_from_slice(flags);
    args.extend(urls.iter().map(String::as_str));
    let out = run(curl.to_str().expect("utf-8 path"), &args, GUARD);
    assert!(out.status.success(), "curl {args:?}: {}", out.stderr);
    out.stdout
}

#[test]
fn curl_over_http1_and_h2c_on_every_pair() {
    let Some(curl_bin) = tool("curl") else { return };
    for runtime in runtimes() {
        let server = server(&runtime);
        let base = format!("http://{}", server.addr);
        for (flag, version) in [("--http1.1", "1.1"), ("--http2-prior-knowledge", "2")] {
            let urls = [
                format!("{base}/"),
                format!("{base}/sleep?ms=20"),
                format!("{base}/sleep?ms=oops"),
                format!("{base}/nowhere"),
                // A panicking handler costs its request a 500; the
                // connection serves the next one.
                format!("{base}/panic"),
                format!("{base}/"),
            ];
            let got = if version == "1.1" {
                // One connection, reused.
                curl(&curl_bin, &[flag], &urls)
            } else {
                // One connection each: curl 7.88 (Debian 12) fails to reuse
                // an h2c prior-knowledge connection (curl/curl#10634, fixed
                // in 8.0), whatever the server.
                urls.iter()
                    .map(|url| curl(&curl_bin, &[flag], std::slice::from_ref(url)))
                    .collect()
            };
            let expected = format!(
                "hello\n\n200 {version}\n\
                 slept 20 ms\n\n200 {version}\n\
                 expected /sleep?ms=N with N from 0 to 3600000\n\n400 {version}\n\
                 not found\n\n404 {version}\n\
                 handler panicked\n\n500 {version}\n\
                 hello\n\n200 {version}\n"
            );
            assert_eq!(got, expected, "{runtime:?} {flag}");
            let echoed = curl(
                &curl_bin,
                &[flag, "--data-binary", "ping pong"],
                &[format!("{base}/echo")],
            );
            assert_eq!(
                echoed,
                format!("ping pong\n200 {version}\n"),
                "{runtime:?} {flag}"
            );
        }
    }
}

/// The request count of wrk's summary, `N requests in S, ...`.
fn wrk_requests(report: &str) -> u64 {
    report
        .lines()
        .find_map(|line| line.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in wrk's report:\n{report}"))
}

#[test]
fn wrk_gets_200_for_every_request_on_every_pair() {
    let Some(wrk) = tool("wrk") else { return };
    for runtime in runtimes() {
        let mut server = server(&runtime);
        let url = format!("http://{}/", server.addr);
        let args = [
            "-t",
            "1",
            "-c",
            "16",
            "-d",
            "1s",
            "--timeout",
            "5s",
            url.as_str(),
        ];
        let out = run(wrk.to_str().expect("utf-8 path"), &args, GUARD);
        assert!(out.status.success(), "wrk: {}", out.stderr);
        assert!(wrk_requests(&out.stdout) > 0, "{runtime:?}: {}", out.stdout);
        // wrk reports answers that are not 2xx/3xx, and socket errors
        // (connect, read, write, timeout), only when there are some.
        assert!(
            !out.stdout.contains("Non-2xx"),
            "{runtime:?}: {}",
            out.stdout
        );
        assert!(
            !out.stdout.contains("Socket errors"),
            "{runtime:?}: {}",
            out.stdout
        );
        server.assert_alive();
    }
}

#[test]
fn the_hyper_client_talks_to_the_server_on_every_pair() {
    for runtime in runtimes() {
        let server = server(&runtime);
        let base = format!("http://{}", server.addr);
        let url = format!("{base}/");
        let mut args = vec!["client", "--url", url.as_str()];
        args.extend_from_slice(&runtime);
        let out = run(HTTP, &args, GUARD);
        assert!(out.status.success(), "{runtime:?}: {}", out.stderr);
        assert_eq!(out.stdout, "200 OK HTTP/1.1\nhello\n");

        let url = format!("{base}/echo");
        let mut args = vec![
            "client",
            "--url",
            url.as_str(),
            "--http2",
            "--data",
            "over h2",
        ];
        args.extend_from_slice(&runtime);
        let out = run(HTTP, &args, GUARD);
        assert!(out.status.success(), "{runtime:?}: {}", out.stderr);
        assert_eq!(out.stdout, "200 OK HTTP/2.0\nover h2");

        let url = format!("{base}/nowhere");
        let out = run(HTTP, &["client", "--url", url.as_str()], GUARD);
        assert!(!out.status.success(), "a 404 is a failure of the client");
        assert!(out.stderr.contains("404"), "{}", out.stderr);
    }
}

/// Open file descriptors of process `pid`.
fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/PID/fd")
        .count()
}

/// Waits (at most [`GUARD`]) until `pid` has `expected` fds open.
fn wait_for_fds(pid: u32, expected: usize) {
    let start = Instant::now();
    loop {
        let now = fds(pid);
        if now == expected {
            return;
        }
        assert!(
            start.elapsed() < GUARD,
            "{now} fds open, {expected} before: a connection was left behind"
        );
        // The server closes a connection after the client saw the close:
        // poll for it, under the hang guard.
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Writes `bytes`, ignoring a reset (the server may close first), and
/// reads to the end.
fn send_and_read(conn: &mut Conn, bytes: &[u8]) -> String {
    let _ = conn.stream.write_all(bytes);
    String::from_utf8_lossy(&conn.until_eof()).into_owned()
}

#[test]
fn bad_input_is_refused_and_leaves_no_fd_behind() {
    for runtime in runtimes() {
        let mut server = server(&runtime);
        let pid = server.pid();
        let ok = |server: &Server| {
            let mut conn = server.connect();
            let reply = send_and_read(
                &mut conn,
                b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            );
            assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply:?}");
            assert!(reply.ends_with("\r\n\r\nhello\n"), "{reply:?}");
        };
        // Before any connection: a closed connection's fd may still be
        // open for a moment after its client saw the end of stream.
        let baseline = fds(pid);
        ok(&server);

        // Open all the bad connections at once, so that each is refused
        // while the others are still there.
        let mut conns: Vec<Conn> = (0..5).map(|_| server.connect()).collect();
        let garbage = send_and_read(&mut conns[0], b"GARBAGE\r\n\r\n");
        assert!(
            garbage.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{garbage:?}"
        );

        let mut oversized = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
        oversized.extend(std::iter::repeat_n(b'a', 1 << 20));
        oversized.extend_from_slice(b"\r\n\r\n");
        let oversized = send_and_read(&mut conns[1], &oversized);
        assert!(
            oversized.is_empty() || oversized.starts_with("HTTP/1.1 431 "),
            "{oversized:?}"
        );

        // A body cut off mid-stream: the client half-closes after 10 of
        // the 100 bytes it announced. The echo may have started; it ends.
        let _ = conns[2]
            .stream
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
        conns[2].shutdown_write();
        let cut = String::from_utf8_lossy(&conns[2].until_eof()).into_owned();
        assert!(
            cut.is_empty() || cut.starts_with("HTTP/1.1 200 OK\r\n"),
            "{cut:?}"
        );
        let body = cut.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        assert!(body.len() < 100, "fewer bytes than announced: {cut:?}");

        // A client that sends nothing and hangs up.
        conns[3].shutdown_write();
        assert_eq!(conns[3].until_eof(), b"");

        // A panicking handler: 500, and the connection serves the next
        // request.
        conns[4].send(b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(conns[4].line(), "HTTP/1.1 500 Internal Server Error\r\n");
        let reply = send_and_read(
            &mut conns[4],
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert!(reply.contains("HTTP/1.1 200 OK\r\n"), "{reply:?}");

        drop(conns);
        server.assert_alive();
        ok(&server);
        wait_for_fds(pid, baseline);
    }
}

#[test]
fn slow_and_silent_clients_are_cut_off() {
    // Real deadlines, short: the assertion is only that the server closes
    // (the hang guard bounds the wait); `http_virtual_time.rs` checks the
    // instants.
    let mut server = server(&["--header-timeout", "1", "--idle-timeout", "1"]);
    let pid = server.pid();
    let baseline = fds(pid);
    let mut slowloris = server.connect();
    slowloris.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    let mut silent = server.connect();
    let mut kept_alive = server.connect();
    kept_alive.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(kept_alive.line(), "HTTP/1.1 200 OK\r\n");

    assert_eq!(slowloris.until_eof(), b"", "closed without a reply");
    assert_eq!(silent.until_eof(), b"", "closed without a reply");
    let rest = String::from_utf8_lossy(&kept_alive.until_eof()).into_owned();
    assert!(
        rest.ends_with("\r\n\r\nhello\n"),
        "the reply, then the close: {rest:?}"
    );
    server.assert_alive();
    drop((slowloris, silent, kept_alive));
    wait_for_fds(pid, baseline);
}

/// Starts a streaming `/echo` request and waits for its first echoed chunk:
/// from then on the request is in flight on the server.
fn request_in_flight(server: &Server) -> Conn {
    let mut conn = server.connect();
    conn.send(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    );
    assert_eq!(conn.line(), "HTTP/1.1 200 OK\r\n");
    while conn.line() != "\r\n" {}
    assert_eq!(conn.line(), "5\r\n");
    assert_eq!(conn.line(), "hello\r\n");
    conn
}

#[test]
fn a_signal_stops_accepting_and_drains_requests_in_flight() {
    for signal in ["INT", "TERM"] {
        let mut server = server(&[]);
        let mut conn = request_in_flight(&server);
        server.signal(signal);
        assert_eq!(
            server.next_line(),
            "http: shutting down: no new connections, draining"
        );
        // The request in flight finishes, then its connection closes.
        conn.send(b"6\r\n world\r\n0\r\n\r\n");
        let rest = String::from_utf8_lossy(&conn.until_eof()).into_owned();
        assert_eq!(rest, "6\r\n world\r\n0\r\n\r\n");
        assert_eq!(server.next_line(), "http: drained");
        let status = server.wait_exit();
        assert!(status.success(), "SIG{signal}: {status:?}");
    }
}

#[test]
fn the_drain_deadline_cancels_what_is_left() {
    let mut server = server(&["--drain-timeout", "0.2"]);
    let mut stuck = request_in_flight(&server);
    server.signal("TERM");
    assert_eq!(
        server.next_line(),
        "http: shutting down: no new connections, draining"
    );
    assert_eq!(
        server.next_line(),
        "http: drain deadline passed: 1 connections cancelled"
    );
    assert!(server.wait_exit().success());
    assert_eq!(
        stuck.until_eof(),
        b"",
        "the stuck request's connection is closed"
    );
}
