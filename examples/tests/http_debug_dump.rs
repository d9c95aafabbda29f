//! `http server --debug-dump`: `kill -QUIT` prints a task dump to standard
//! error, showing a request that sleeps in its handler, and the server keeps
//! serving.

mod proc;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use proc::{Conn, GUARD};

const HTTP: &str = env!("CARGO_BIN_EXE_http");

/// The server, killed when dropped (a failing test included).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lines(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Sends SIGQUIT and reads the dump it prints: the signal line, the header
/// ("baton task dump: N tasks ..."), then one line per task.
fn dump(pid: &str, err: &mpsc::Receiver<String>) -> String {
    let status = Command::new("kill")
        .args(["-QUIT", pid])
        .status()
        .expect("run kill");
    assert!(status.success());
    let next = || err.recv_timeout(GUARD).expect("a dump on standard error");
    let signal = next();
    assert_eq!(signal, "baton: SIGQUIT received: dumping, then running on");
    let header = next();
    let tasks: usize = header
        .strip_prefix("baton task dump: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a dump header: {header}"));
    let mut text = header + "\n";
    for _ in 0..tasks {
        text.push_str(&next());
        text.push('\n');
    }
    text
}

#[test]
fn kill_quit_dumps_the_tasks_and_the_server_keeps_serving() {
    for executor in ["local", "multi"] {
        let mut server = Killed(
            Command::new(HTTP)
                .args(["server", "--debug-dump", "--port", "0"])
                .args(["--executor", executor, "--workers", "2"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start http"),
        );
        let out = lines(server.0.stdout.take().expect("piped"));
        let err = lines(server.0.stderr.take().expect("piped"));
        let listening = out.recv_timeout(GUARD).expect("the listening line");
        let addr: SocketAddr = listening
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {listening:?}"));
        let pid = server.0.id().to_string();

        // A request whose handler sleeps for a minute.
        let mut sleeping = Conn::new(addr);
        sleeping.send(b"GET /sleep?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n");
        let start = Instant::now();
        let text = loop {
            // Until the request has reached its sleep.
            let text = dump(&pid, &err);
            if text.contains(") waits for a timer that fires in ") {
                break text;
            }
            assert!(start.elapsed() < GUARD, "never saw the sleep:\n{text}");
        };
        assert!(text.starts_with("baton task dump: "), "{text}");

        // Still serving.
        let mut conn = Conn::new(addr);
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(conn.line(), "HTTP/1.1 200 OK\r\n");
        assert!(server.0.try_wait().expect("try_wait").is_none());
        drop(sleeping);
    }
}
