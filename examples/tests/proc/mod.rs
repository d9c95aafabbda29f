//! Helpers for tests that run the example binaries: start a server on a
//! loopback port and read the address it prints, run a client to
//! completion under a hang guard, talk to a server over a raw socket.
//! Every child process is killed when its handle drops, a failing test
//! included.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses its own subset of these helpers"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The longest any single wait of a test may take: a hang guard, not a
/// timing assertion.
pub const GUARD: Duration = Duration::from_secs(20);

/// Every reactor × executor pair, as flags.
pub fn runtimes() -> Vec<Vec<&'static str>> {
    let mut all = Vec::new();
    for reactor in ["epoll", "poll"] {
        for executor in ["local", "multi"] {
            all.push(vec![
                "--reactor",
                reactor,
                "--executor",
                executor,
                "--workers",
                "2",
            ]);
        }
    }
    all
}

/// A server process, killed on drop.
pub struct Server {
    child: Child,
    /// Where it listens, as it printed.
    pub addr: SocketAddr,
    /// What it printed on standard output after the address line.
    lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `bin args... --port 0` and waits for its `listening on ADDR`
    /// line.
    pub fn start(bin: &str, args: &[&str]) -> Server {
        let mut child = Command::new(bin)
            .args(args)
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            lines,
        };
        let first = server
            .lines
            .recv_timeout(GUARD)
            .unwrap_or_else(|e| panic!("{bin} {args:?} printed no address: {e}"));
        let addr = first
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        server.addr = addr.parse().expect("a socket address");
        assert!(
            server.addr.ip().is_loopback(),
            "binds loopback by default: {first}"
        );
        server
    }

    /// The port, as a string for command lines.
    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }

    /// Panics if the server has exited (crashed).
    pub fn assert_alive(&mut self) {
        let status = self.child.try_wait().expect("try_wait");
        assert!(status.is_none(), "the server exited: {status:?}");
    }

    /// A raw connection to the server.
    pub fn connect(&self) -> Conn {
        Conn::new(self.addr)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the server a signal (`"TERM"`, `"INT"`, ...) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// The next line the server prints on standard output, waiting at most
    /// [`GUARD`].
    pub fn next_line(&self) -> String {
        self.lines
            .recv_timeout(GUARD)
            .unwrap_or_else(|e| panic!("the server printed no further line: {e}"))
    }

    /// Waits (at most [`GUARD`]) for the server to exit, and returns how.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(start.elapsed() < GUARD, "the server did not exit");
            // Polling a child for its exit: the only portable wait with a
            // deadline in std.
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program args...` to completion, killing it (and failing) if it
/// takes longer than `guard`.
pub fn run(program: &str, args: &[&str], guard: Duration) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let collect = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = collect(Box::new(child.stdout.take().expect("piped")));
    let stderr = collect(Box::new(child.stderr.take().expect("piped")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > guard {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} still running after {guard:?}: killed");
        }
        // Polling a child for its exit: the only portable wait with a
        // deadline in std.
        thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: stdout.join().expect("reader thread"),
        stderr: stderr.join().expect("reader thread"),
    }
}

/// A blocking loopback connection with a hang guard on every read and
/// write.
pub struct Conn {
    pub stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect_timeout(&addr, GUARD).expect("connect");
        Conn::from_stream(stream)
    }

    pub fn from_stream(stream: TcpStream) -> Conn {
        stream.set_read_timeout(Some(GUARD)).expect("timeout");
        stream.set_write_timeout(Some(GUARD)).expect("timeout");
        let _ = stream.set_nodelay(true);
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        Conn { stream, reader }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads exactly `n` bytes.
    pub fn read_n(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        self.reader.read_exact(&mut buf).expect("read");
        buf
    }

    /// Reads one line, `\n` included; empty at end of stream.
    pub fn line(&mut self) -> String {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read");
        String::from_utf8_lossy(&line).into_owned()
    }

    /// Reads until the server closes the connection. A reset after the
    /// data counts as a close.
    pub fn until_eof(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        let mut buf = [0; 4096];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => return all,
                Ok(n) => all.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return all,
                Err(e) => panic!("read: {e} after {:?}", String::from_utf8_lossy(&all)),
            }
        }
    }

    /// Half-closes the sending side.
    pub fn shutdown_write(&self) {
        self.stream.shutdown(Shutdown::Write).expect("shutdown");
    }
}
