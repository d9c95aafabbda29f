//! The `deadlock` binary: its task dump names both stuck tasks, what each
//! waits on, and the cycle; with `--debug-dump`, `kill -QUIT` prints the
//! same dump to standard error and the program runs on.

mod proc;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;

use proc::{GUARD, run, runtimes};

const DEADLOCK: &str = env!("CARGO_BIN_EXE_deadlock");

/// Checks a dump's text: `left` and `right` each wait for the other, the
/// cycle is named, and the bystanders wait on a socket and a timer.
fn check_dump(text: &str) {
    let find = |name: &str| {
        text.lines()
            .find(|l| l.contains(&format!(" ({name}, spawned at examples/src/deadlock.rs:")))
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
    };
    // "task 5 (left, ..." -> "task 5"
    let id = |line: &str| line.split(" (").next().unwrap().to_owned();
    let (left, right) = (find("left"), find("right"));
    let (left_id, right_id) = (id(left), id(right));
    assert!(
        left.contains(&format!(" waits for {right_id} to finish [")),
        "{text}"
    );
    assert!(
        right.contains(&format!(" waits for {left_id} to finish [")),
        "{text}"
    );
    assert!(
        left.contains(" by task ") && right.contains(" by task "),
        "{text}"
    );
    let cycle = [
        format!(
            "deadlock: {right_id} (right) waits for {left_id} (left), which waits for {right_id} to finish"
        ),
        format!(
            "deadlock: {left_id} (left) waits for {right_id} (right), which waits for {left_id} to finish"
        ),
    ];
    assert!(
        text.lines()
            .any(|l| cycle.iter().any(|c| l.starts_with(c.as_str()))),
        "{text}"
    );
    assert!(find("acceptor").contains(") waits for fd "), "{text}");
    // The ticker wakes each second: a dump may catch it between its
    // timer and its next sleep.
    let ticker = find("ticker");
    assert!(
        [
            ") waits for a timer that fires in ",
            ") is runnable",
            ") is running"
        ]
        .iter()
        .any(|state| ticker.contains(state)),
        "{text}"
    );
}

#[test]
fn the_dump_names_both_tasks_and_what_each_waits_on() {
    for runtime in runtimes() {
        let out = run(DEADLOCK, &runtime, GUARD);
        assert!(out.status.success(), "{runtime:?}: {out:?}");
        check_dump(&out.stdout);
    }
}

/// A child process killed when dropped, a failing test included.
struct Stuck(Child);

impl Drop for Stuck {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of `pipe`, as they come.
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

/// Reads `lines` up to and including the next line starting with
/// "deadlock: ", waiting at most [`GUARD`] for each.
fn next_dump(lines: &mpsc::Receiver<String>) -> String {
    let mut text = String::new();
    loop {
        let line = lines
            .recv_timeout(GUARD)
            .unwrap_or_else(|e| panic!("no complete dump ({e}) after:\n{text}"));
        text.push_str(&line);
        text.push('\n');
        if line.starts_with("deadlock: ") {
            return text;
        }
    }
}

#[test]
fn kill_quit_prints_the_dump_and_the_program_runs_on() {
    for executor in ["local", "multi"] {
        let mut child = Stuck(
            Command::new(DEADLOCK)
                .args(["--debug-dump", "--executor", executor, "--workers", "2"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start deadlock"),
        );
        let out = lines(child.0.stdout.take().expect("piped"));
        let err = lines(child.0.stderr.take().expect("piped"));
        let ready = out.recv_timeout(GUARD).expect("the stuck line");
        let pid = child.0.id().to_string();
        assert!(
            ready.contains(&format!("`kill -QUIT {pid}` prints a task dump")),
            "{ready}"
        );
        for _ in 0..2 {
            let status = Command::new("kill")
                .args(["-QUIT", &pid])
                .status()
                .expect("run kill");
            assert!(status.success());
            let text = next_dump(&err);
            assert!(
                text.starts_with("baton: SIGQUIT received: dumping, then running on\n"),
                "{text}"
            );
            check_dump(&text);
            assert!(
                child.0.try_wait().expect("try_wait").is_none(),
                "{executor}: the program ended on SIGQUIT"
            );
        }
    }
}
