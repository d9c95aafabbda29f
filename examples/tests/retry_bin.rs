//! The `retry` binary: connects at once to a server that is up, and gives
//! up after the attempts it was given on a port nobody listens on.

mod proc;

use proc::{GUARD, run, runtimes};

const RETRY: &str = env!("CARGO_BIN_EXE_retry");

#[test]
fn connects_to_a_server_that_is_up() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    for runtime in runtimes() {
        let mut args = vec!["--addr", addr.as_str()];
        args.extend(&runtime);
        let out = run(RETRY, &args, GUARD);
        assert!(out.status.success(), "{runtime:?}: {out:?}");
        assert!(
            out.stdout
                .contains(&format!("connected to {addr} on attempt 1")),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn gives_up_after_its_attempts() {
    // A port that was free a moment ago: connecting is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let out = run(
        RETRY,
        &["--addr", &addr, "--attempts", "3", "--initial-ms", "1"],
        GUARD,
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.contains("gave up on") && out.stderr.contains("after 3 attempts"),
        "{}",
        out.stderr
    );
}

#[test]
fn usage_errors() {
    for bad in [&[][..], &["--addr", "127.0.0.1:1", "--attempts", "0"]] {
        let out = run(RETRY, bad, GUARD);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
    }
}
