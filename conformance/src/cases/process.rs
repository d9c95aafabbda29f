//! L. Child processes: exit statuses arrive, stdout streams while the child
//! runs, and a child dropped with `kill_on_drop` is killed and reaped,
//! leaving no zombie, on every pair.
//!
//! Nothing sleeps: each wait is on the event itself (a pipe, the child's
//! pidfd), under the harness watchdog. The children are `sh` and `sleep`.

use baton_protocol::io::Async;
use baton_protocol::process::{Command, Stdio};
use baton_protocol::task::yield_now;
use futures_lite::io::BufReader;
use futures_lite::{AsyncBufReadExt, AsyncWriteExt};

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::util::os;
use crate::{ensure, ensure_eq};

pub(crate) const CASES: &[Case] = &[
    case!(
        "process.exit_status_arrives",
        "a child's exit status (success, a code, a kill) arrives through the reactor",
        [],
        exit_status_arrives
    ),
    case!(
        "process.stdout_streams",
        "a child's stdout is read while it runs: a line before it reads stdin, another after",
        [],
        stdout_streams
    ),
    case!(
        "process.kill_on_drop_no_zombie",
        "a child dropped with kill_on_drop is killed and reaped: no zombie is left",
        [],
        kill_on_drop_no_zombie
    ),
];

fn exit_status_arrives(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        ensure!(Command::new("true").status().await?.success());
        let code = Command::new("sh").args(["-c", "exit 3"]).status().await?;
        ensure_eq!(code.code(), Some(3));
        let mut child = Command::new("sleep").arg("3600").spawn()?;
        child.kill()?;
        let killed = child.wait().await?;
        ensure_eq!(
            std::os::unix::process::ExitStatusExt::signal(&killed),
            Some(libc::SIGKILL)
        );
        Ok::<_, Failure>(())
    })?
}

fn stdout_streams(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let mut child = Command::new("sh")
            .args(["-c", "echo ready; read line; echo \"got $line\""])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(Failure::new("piped stdin and stdout are missing"));
        };
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        // The child waits for our line: this one arrives while it runs.
        stdout.read_line(&mut line).await?;
        ensure_eq!(line, "ready\n");
        ensure_eq!(
            child.try_wait()?,
            None,
            "the child exited before reading stdin"
        );
        stdin.write_all(b"ping\n").await?;
        line.clear();
        stdout.read_line(&mut line).await?;
        ensure_eq!(line, "got ping\n");
        ensure!(child.wait().await?.success());
        Ok(())
    })?
}

fn kill_on_drop_no_zombie(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let child = Command::new("sleep")
            .arg("3600")
            .kill_on_drop(true)
            .spawn()?;
        let pid = child
            .id()
            .ok_or_else(|| Failure::new("a running child has no id"))?;
        // Our own watch of the child, opened while it is unreaped.
        let exited = Async::new(os::pidfd_open(pid)?)?;
        drop(child);
        // Without the kill this waits for an hour: the watchdog fails it.
        exited.readable().await?;
        // The reaper reaps in a task woken by the same exit: let it run.
        while !os::reaped(pid)? {
            yield_now().await;
        }
        Ok::<_, Failure>(())
    })??;
    Ok(())
}
