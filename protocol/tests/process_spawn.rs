//! Child processes on a real reactor: exit statuses, captured and streamed
//! output, kill, and the errors of bad input.

mod rt;

use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;

use baton_protocol::Error;
use baton_protocol::process::{Command, Stdio};
use futures_lite::io::BufReader;
use futures_lite::{AsyncBufReadExt, AsyncWriteExt, StreamExt};
use rt::Rt;

#[test]
fn exit_statuses_arrive() {
    let rt = Rt::new();
    rt.block_on(async {
        assert!(Command::new("true").status().await.unwrap().success());
        let status = Command::new("sh")
            .args(["-c", "exit 7"])
            .status()
            .await
            .unwrap();
        assert_eq!(status.code(), Some(7));
    });
}

#[test]
fn output_captures_stdout_and_stderr() {
    let rt = Rt::new();
    rt.block_on(async {
        let output = Command::new("sh")
            .args(["-c", "echo out; echo err >&2; read line; echo \"[$line]\""])
            .output()
            .await
            .unwrap();
        assert!(output.status.success());
        // stdin is empty for `output`: `read` sees EOF.
        assert_eq!(output.stdout, b"out\n[]\n");
        assert_eq!(output.stderr, b"err\n");
    });
}

#[test]
fn output_of_a_large_write_does_not_deadlock() {
    // More than a pipe's buffer on both streams: both must be drained while
    // the child runs.
    let rt = Rt::new();
    rt.block_on(async {
        let output = Command::new("sh")
            .args([
                "-c",
                "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2",
            ])
            .output()
            .await
            .unwrap();
        assert!(output.status.success());
        assert_eq!(output.stdout.len(), 300_000);
        assert_eq!(output.stderr.len(), 200_000);
    });
}

#[test]
fn stdout_streams_while_the_child_runs() {
    let rt = Rt::new();
    rt.block_on(async {
        let mut child = Command::new("sh")
            .args(["-c", "echo ready; read line; echo \"got $line\""])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // The child waits for us: this line arrives while it runs.
        assert_eq!(lines.next().await.unwrap().unwrap(), "ready");
        assert_eq!(child.try_wait().unwrap(), None);
        stdin.write_all(b"ping\n").await.unwrap();
        assert_eq!(lines.next().await.unwrap().unwrap(), "got ping");
        assert!(child.wait().await.unwrap().success());
        assert_eq!(child.id(), None);
    });
}

#[test]
fn kill_ends_a_running_child() {
    let rt = Rt::new();
    rt.block_on(async {
        let mut child = Command::new("sleep").arg("3600").spawn().unwrap();
        assert!(child.id().is_some());
        child.kill().unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        // Killing a reaped child is Ok, as in std.
        child.kill().unwrap();
        assert_eq!(child.wait().await.unwrap(), status);
    });
}

#[test]
fn a_program_that_does_not_exist_is_not_found() {
    let rt = Rt::new();
    rt.block_on(async {
        let e = Command::new("/no/such/program").spawn().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = Command::new("baton-no-such-program-on-path")
            .status()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = Command::new("true")
            .current_dir("/no/such/dir")
            .output()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn spawning_outside_a_runtime_is_no_runtime_and_starts_nothing() {
    let e = Command::new("true").spawn().unwrap_err();
    assert!(matches!(Error::from(e), Error::NoRuntime));
}

#[test]
fn env_and_current_dir_reach_the_child() {
    let rt = Rt::new();
    rt.block_on(async {
        let output = Command::new("sh")
            .args(["-c", "echo \"$BATON_TEST_VAR $(pwd)\""])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("BATON_TEST_VAR", "set")
            .current_dir("/")
            .output()
            .await
            .unwrap();
        assert_eq!(output.stdout, b"set /\n");
    });
}
