//! Child processes with a deadline: each measurement runs in its own
//! process (a fresh heap, RSS figures of its own), and a hung one is killed
//! rather than hanging the suite.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// A running child whose standard output is read line by line.
pub(super) struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    name: String,
}

impl Running {
    /// Starts `cmd` with piped standard input and output (standard error is
    /// inherited, so a child's complaint reaches the terminal).
    pub(super) fn start(mut cmd: Command, name: String) -> Result<Running, String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{name}: cannot start: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let (tx, lines) = mpsc::channel();
        if let Some(stdout) = stdout {
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Running {
            child,
            stdin,
            lines,
            name,
        })
    }

    /// The child's process id.
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line the child prints, waiting until `deadline`.
    pub(super) fn line(&mut self, deadline: Instant) -> Result<String, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => {
                Err(format!("{}: no answer within the time limit", self.name))
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
                Err(format!(
                    "{}: exited without an answer ({status})",
                    self.name
                ))
            }
        }
    }

    /// The next line that is a JSON object, skipping others.
    pub(super) fn json(&mut self, deadline: Instant) -> Result<serde_json::Value, String> {
        loop {
            let line = self.line(deadline)?;
            if line.starts_with('{')
                && let Ok(value) = serde_json::from_str::<serde_json::Value>(&line)
            {
                return Ok(value);
            }
        }
    }

    /// Closes the child's standard input (servers exit on that), gives it
    /// a moment, and kills it if it is still there.
    pub(super) fn finish(mut self) {
        drop(self.stdin.take());
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
