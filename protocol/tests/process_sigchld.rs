//! The exit watch of kernels without pidfds: `SIGCHLD` and non-blocking
//! `waitpid`s. The test re-runs itself with `BATON_NO_PIDFD=1` (read once
//! per process), so the fallback is covered on any kernel.

mod rt;

use std::process;

use baton_protocol::process::{Command, Stdio};
use futures_lite::AsyncReadExt;
use rt::Rt;

const CHILD_ENV: &str = "BATON_NO_PIDFD";

#[test]
fn children_are_waited_for_through_sigchld() {
    if std::env::var_os(CHILD_ENV).is_none() {
        let status = process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "children_are_waited_for_through_sigchld",
                "--nocapture",
            ])
            .env(CHILD_ENV, "1")
            .status()
            .unwrap();
        assert!(status.success(), "the SIGCHLD run failed: {status}");
        return;
    }
    let rt = Rt::new();
    rt.block_on(async {
        // Several at once: one SIGCHLD may stand for several exits.
        let mut children: Vec<_> = (0..4)
            .map(|i| {
                Command::new("sh")
                    .args(["-c", &format!("exit {i}")])
                    .spawn()
                    .unwrap()
            })
            .collect();
        assert!(format!("{:?}", children[0]).contains("SIGCHLD"));
        for (i, child) in children.iter_mut().enumerate().rev() {
            assert_eq!(child.wait().await.unwrap().code(), Some(i as i32));
        }
        let mut child = Command::new("sh")
            .args(["-c", "echo streamed"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut text = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .await
            .unwrap();
        assert_eq!(text, "streamed\n");
        assert!(child.wait().await.unwrap().success());
    });
}
