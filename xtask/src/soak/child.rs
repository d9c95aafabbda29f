//! The processes a soak starts, each owned by a guard that kills and reaps
//! it when dropped: on success, on a failed check, on an early `return`
//! and while a panic unwinds alike, so no server or client outlives the
//! soak. Signals do not bypass them: SIGINT, SIGTERM and SIGHUP only set a
//! flag that ends the soak's loops (see the `soak` module).

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a server may take to print its address.
const STARTUP: Duration = Duration::from_secs(30);

/// A server started with `--port 0`, killed on drop.
pub(crate) struct Server {
    child: Child,
    /// Where it listens, as it printed.
    pub(crate) addr: SocketAddr,
    /// What it has written to standard error so far, line by line.
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `bin args... --port 0` and waits for its `listening on ADDR`
    /// line.
    ///
    /// # Errors
    ///
    /// The program cannot start, exits or stays silent for 30 s, or its
    /// first line names no loopback address.
    pub(crate) fn start(bin: &Path, args: &[&str]) -> Result<Server, String> {
        let name = bin.display();
        let mut child = Command::new(bin)
            .args(args)
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr: Arc::new(Mutex::new(Vec::new())),
        };
        let lines = Arc::clone(&server.stderr);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                lines.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        // The first line is the address; the rest is read and dropped so
        // that a chatty server never blocks on a full pipe.
        let (first_tx, first_rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = first_tx.send(line);
            }
            lines.for_each(drop);
        });
        let first = first_rx.recv_timeout(STARTUP).map_err(|_| {
            format!(
                "{name} printed no address within {STARTUP:?}; its standard error: {:?}",
                server.stderr_lines()
            )
        })?;
        server.addr = listening_addr(&first)
            .ok_or_else(|| format!("{name}: expected `listening on ADDR`, got {first:?}"))?;
        if !server.addr.ip().is_loopback() {
            return Err(format!("{name} listens on {}, not loopback", server.addr));
        }
        Ok(server)
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How the server ended, if it has.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Every line the server has written to standard error.
    pub(crate) fn stderr_lines(&self) -> Vec<String> {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address of a `NAME: listening on ADDR (...)` line.
pub(crate) fn listening_addr(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("listening on ")?;
    rest.split_whitespace().next()?.parse().ok()
}

/// A client run in progress, killed on drop.
pub(crate) struct Client {
    child: Child,
    started: Instant,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

/// What a finished client printed, and how it ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Client {
    /// Starts `cmd`, collecting what it prints.
    ///
    /// # Errors
    ///
    /// The program cannot start.
    pub(crate) fn start(mut cmd: Command) -> Result<Client, String> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
        let collect = |mut pipe: Box<dyn Read + Send>| {
            thread::spawn(move || {
                let mut text = Vec::new();
                let _ = pipe.read_to_end(&mut text);
                String::from_utf8_lossy(&text).into_owned()
            })
        };
        let stdout = collect(Box::new(child.stdout.take().expect("stdout is piped")));
        let stderr = collect(Box::new(child.stderr.take().expect("stderr is piped")));
        Ok(Client {
            child,
            started: Instant::now(),
            stdout: Some(stdout),
            stderr: Some(stderr),
        })
    }

    /// How long the client has been running.
    pub(crate) fn running_for(&self) -> Duration {
        self.started.elapsed()
    }

    /// The client's outcome once it has exited; `None` while it runs.
    ///
    /// # Errors
    ///
    /// The OS cannot say whether the client has exited.
    pub(crate) fn try_finish(&mut self) -> Result<Option<Finished>, String> {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => status,
            Ok(None) => return Ok(None),
            Err(e) => return Err(format!("cannot wait for a client: {e}")),
        };
        let text = |reader: Option<JoinHandle<String>>| {
            reader.and_then(|r| r.join().ok()).unwrap_or_default()
        };
        Ok(Some(Finished {
            status,
            stdout: text(self.stdout.take()),
            stderr: text(self.stderr.take()),
        }))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // After `try_finish` saw the exit this does nothing: std kills
        // only a child it has not reaped, so no recycled pid is signalled.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::listening_addr;

    #[test]
    fn reads_the_announced_address() {
        let line = "resp: listening on 127.0.0.1:43095 (reactor epoll, executor multi (2 workers))";
        assert_eq!(
            listening_addr(line),
            Some("127.0.0.1:43095".parse().unwrap())
        );
        assert_eq!(
            listening_addr("echo: listening on [::1]:7000 (reactor poll, executor local)"),
            Some("[::1]:7000".parse().unwrap())
        );
        assert_eq!(listening_addr("resp: listening on nowhere"), None);
        assert_eq!(listening_addr("resp: ready"), None);
    }
}
