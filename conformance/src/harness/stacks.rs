//! The stacks of a hung child's threads, for its failure message.
//!
//! A hang says only which case stopped; which thread waits where is what
//! explains it. (`time.interval_no_drift` hung on `chaos(poll)×mt1` about
//! once in a hundred runs of a loaded CI machine; the stacks showed the
//! reactor parked for ever while the timer it should have waited for was
//! pending.) They are taken with gdb, when it is installed, before the
//! watchdog kills the child.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long gdb may take to attach and print (it reads the debug info of a
/// large test binary first).
const GDB_LIMIT: Duration = Duration::from_secs(60);
/// Frames printed per thread.
const FRAMES: &str = "24";
/// Characters kept of one frame's line (argument lists run long).
const LINE: usize = 240;

/// The stacks of every thread of process `pid`, one frame per line, or a
/// sentence saying why there are none.
pub(crate) fn of(pid: u32) -> String {
    let spawned = Command::new("gdb")
        .args(["--batch", "--nx", "-p", &pid.to_string()])
        .args(["-ex", "set print frame-arguments none"])
        .args(["-ex", &format!("thread apply all bt {FRAMES}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut gdb = match spawned {
        Ok(gdb) => gdb,
        Err(e) => return format!("(no stacks: cannot run gdb: {e})"),
    };
    // Read on a thread of its own, so a gdb that never finishes can be
    // killed at the limit instead of holding the run.
    let mut stdout = gdb.stdout.take();
    let reader = thread::spawn(move || {
        let mut text = String::new();
        if let Some(out) = stdout.as_mut() {
            let _ = out.read_to_string(&mut text);
        }
        text
    });
    let started = Instant::now();
    loop {
        match gdb.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < GDB_LIMIT => {
                thread::sleep(Duration::from_millis(50));
            }
            _ => {
                let _ = gdb.kill();
                let _ = gdb.wait();
                break;
            }
        }
    }
    let text = reader.join().unwrap_or_default();
    let frames: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("Thread ") || l.starts_with('#'))
        .map(|l| l.chars().take(LINE).collect())
        .collect();
    if frames.is_empty() {
        "(no stacks: gdb printed none; is ptrace allowed here?)".to_owned()
    } else {
        format!("stacks of the hung child:\n{}", frames.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    #[test]
    fn a_waiting_process_shows_its_stack_or_says_why_not() {
        let mut child = Command::new("sleep")
            .arg("60")
            .stdin(Stdio::null())
            .spawn()
            .expect("sleep runs");
        let stacks = super::of(child.id());
        let _ = child.kill();
        let _ = child.wait();
        let gdb = Command::new("gdb").arg("--version").output().is_ok();
        if gdb {
            assert!(
                stacks.starts_with("stacks of the hung child:\nThread ")
                    || stacks.starts_with("(no stacks: gdb printed none"),
                "{stacks}"
            );
        } else {
            assert!(stacks.starts_with("(no stacks: cannot run gdb"), "{stacks}");
        }
    }
}
