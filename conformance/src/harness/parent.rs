//! The parent side: run each pair's cases in child processes, a few pairs at
//! a time, with a watchdog per case. A child that crashes or hangs fails the
//! case it was running; a new child picks up after it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::protocol::{ENV_CASES, ENV_PAIR, ENV_SEED, Event};
use super::report::{Cell, Status};
use super::stacks;

/// How long a child may take to start before its first case counts as hung.
const STARTUP: Duration = Duration::from_secs(60);
/// How much of a crashed child's standard error goes into the failure.
const STDERR_TAIL: usize = 2000;

/// The cases of one pair, to run in one child (or several, after crashes).
#[derive(Clone)]
pub(crate) struct Job {
    pub(crate) runner: PathBuf,
    pub(crate) pair: String,
    pub(crate) cases: Vec<(String, Duration)>,
    /// Stop after this many failures, leaving the rest unrun: a mutant only
    /// needs to be caught, and a hanging one costs a watchdog per case.
    pub(crate) stop_after: Option<usize>,
}

/// Runs every job, `parallel` at a time, reporting progress on standard
/// error; returns every cell. With `name_seed` (a seed sweep), each failure
/// message starts with the `BATON_SEED` that replays it.
pub(crate) fn run_jobs(jobs: Vec<Job>, parallel: usize, seed: u64, name_seed: bool) -> Vec<Cell> {
    let total: usize = jobs.iter().map(|j| j.cases.len()).sum();
    let queue = Mutex::new(VecDeque::from(jobs));
    let (tx, rx) = mpsc::channel::<Progress>();
    let mut cells = Vec::with_capacity(total);
    thread::scope(|s| {
        for _ in 0..parallel.max(1) {
            let tx = tx.clone();
            let queue = &queue;
            s.spawn(move || {
                loop {
                    let job = queue
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .pop_front();
                    let Some(job) = job else { break };
                    run_job(job, seed, &tx);
                }
            });
        }
        drop(tx);
        let mut progress = ProgressLine::new(total);
        for event in rx {
            match event {
                Progress::Started { pair, case } => progress.started(&pair, &case),
                Progress::Done(mut cell) => {
                    if let (true, Status::Fail(message)) = (name_seed, &mut cell.status) {
                        *message = format!("BATON_SEED={seed}: {message}");
                    }
                    progress.done(&cell);
                    cells.push(cell);
                }
            }
        }
        progress.finish();
    });
    cells
}

enum Progress {
    Started { pair: String, case: String },
    Done(Cell),
}

fn run_job(mut job: Job, seed: u64, tx: &mpsc::Sender<Progress>) {
    let mut remaining: VecDeque<(String, Duration)> = std::mem::take(&mut job.cases).into();
    let mut failures = 0;
    while !remaining.is_empty() {
        if job.stop_after.is_some_and(|n| failures >= n) {
            return;
        }
        let ids: Vec<&str> = remaining.iter().map(|(id, _)| id.as_str()).collect();
        let spawned = Command::new(&job.runner)
            .env(ENV_PAIR, &job.pair)
            .env(ENV_CASES, ids.join(","))
            .env(ENV_SEED, seed.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                for (case, _) in remaining.drain(..) {
                    let status = Status::Fail(format!("could not start the runner: {e}"));
                    send_done(tx, &job.pair, case, status, 0);
                }
                return;
            }
        };
        let events = read_events(&mut child);
        let mut stderr = StderrTail::collect(&mut child);
        failures += supervise(&mut child, &events, &mut stderr, &job, &mut remaining, tx);
    }
}

/// Follows one child until it exits, hangs, or has failed as many cases as
/// the job allows, recording every case it ends; returns the failures.
fn supervise(
    child: &mut Child,
    events: &Receiver<Option<Event>>,
    stderr: &mut StderrTail,
    job: &Job,
    remaining: &mut VecDeque<(String, Duration)>,
    tx: &mpsc::Sender<Progress>,
) -> usize {
    let pair = job.pair.as_str();
    let mut failures = 0;
    let mut deadline = Instant::now() + STARTUP;
    let mut started: Option<Instant> = None;
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(wait) {
            Ok(Some(Event::Start { case })) => {
                let watchdog = remaining
                    .iter()
                    .find(|(id, _)| *id == case)
                    .map_or(STARTUP, |(_, w)| *w);
                deadline = Instant::now() + watchdog;
                started = Some(Instant::now());
                let _ = tx.send(Progress::Started {
                    pair: pair.into(),
                    case,
                });
            }
            Ok(Some(Event::End {
                case,
                passed,
                message,
                millis,
            })) => {
                remaining.retain(|(id, _)| *id != case);
                let status = if passed {
                    Status::Pass
                } else {
                    failures += 1;
                    Status::Fail(message)
                };
                send_done(tx, pair, case, status, millis);
                deadline = Instant::now() + STARTUP;
                started = None;
                if job.stop_after.is_some_and(|n| failures >= n) {
                    let _ = child.kill();
                    let _ = child.wait();
                    return failures;
                }
            }
            Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                // The child closed its output: it exited, cleanly or not.
                let status = child.wait().ok();
                if let Some((case, _)) = remaining.pop_front() {
                    let why = match status {
                        Some(s) => describe_exit(s),
                        None => "the child vanished".to_owned(),
                    };
                    let tail = stderr.finish();
                    let message = if started.is_some() {
                        format!("crashed: {why}\n{tail}")
                    } else {
                        format!("the child exited before starting this case: {why}\n{tail}")
                    };
                    send_done(tx, pair, case, Status::Fail(message), elapsed_ms(started));
                    failures += 1;
                }
                return failures;
            }
            Err(RecvTimeoutError::Timeout) => {
                // Before the kill: the stacks say where the child waits. Not
                // for mutants, which are expected to hang.
                let stacks = match job.stop_after {
                    None => stacks::of(child.id()),
                    Some(_) => String::new(),
                };
                let _ = child.kill();
                let _ = child.wait();
                if let Some((case, watchdog)) = remaining.pop_front() {
                    let message = format!(
                        "hung: the watchdog killed the child after {} s without a result\n{}\n{stacks}",
                        watchdog.as_secs(),
                        stderr.finish()
                    );
                    send_done(tx, pair, case, Status::Fail(message), elapsed_ms(started));
                    failures += 1;
                }
                return failures;
            }
        }
    }
}

fn send_done(tx: &mpsc::Sender<Progress>, pair: &str, case: String, status: Status, millis: u64) {
    let _ = tx.send(Progress::Done(Cell {
        case,
        pair: pair.into(),
        status,
        millis,
    }));
}

fn elapsed_ms(started: Option<Instant>) -> u64 {
    started.map_or(0, |s| {
        u64::try_from(s.elapsed().as_millis()).unwrap_or(u64::MAX)
    })
}

fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (_, Some(sig)) => format!("killed by signal {sig}{}", signal_name(sig)),
        (Some(code), None) => format!("exited with status {code}"),
        (None, None) => "exited".to_owned(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGABRT => " (SIGABRT: abort)",
        libc::SIGSEGV => " (SIGSEGV: segmentation fault)",
        libc::SIGBUS => " (SIGBUS)",
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGILL => " (SIGILL)",
        _ => "",
    }
}

/// Forwards the child's protocol lines; `None` marks the end of its output.
fn read_events(child: &mut Child) -> Receiver<Option<Event>> {
    let (tx, rx) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(event) = Event::parse(&line)
                    && tx.send(Some(event)).is_err()
                {
                    return;
                }
            }
            let _ = tx.send(None);
        });
    }
    rx
}

/// The last part of a child's standard error, collected by a thread.
struct StderrTail {
    buffer: Arc<Mutex<String>>,
    reader: Option<thread::JoinHandle<()>>,
}

impl StderrTail {
    fn collect(child: &mut Child) -> Self {
        let buffer = Arc::new(Mutex::new(String::new()));
        let reader = child.stderr.take().map(|mut stderr| {
            let buffer = Arc::clone(&buffer);
            thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    let mut b = buffer.lock().unwrap_or_else(PoisonError::into_inner);
                    b.push_str(&String::from_utf8_lossy(&chunk[..n]));
                    if b.len() > 4 * STDERR_TAIL {
                        let cut = char_boundary_from(&b, b.len() - STDERR_TAIL);
                        b.drain(..cut);
                    }
                }
            })
        });
        StderrTail { buffer, reader }
    }

    /// The tail, once the child is gone: joining the reader (its pipe closed
    /// with the child) makes sure the child's last words are in.
    fn finish(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let b = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        let start = char_boundary_from(&b, b.len().saturating_sub(STDERR_TAIL));
        if start == b.len() {
            String::new()
        } else {
            format!("--- stderr (tail) ---\n{}", &b[start..])
        }
    }
}

fn char_boundary_from(s: &str, from: usize) -> usize {
    (from..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(s.len())
}

/// The live "cases done / total, current pair" line on standard error.
struct ProgressLine {
    total: usize,
    done: usize,
    failed: usize,
    tty: bool,
    last_print: Instant,
}

impl ProgressLine {
    fn new(total: usize) -> Self {
        ProgressLine {
            total,
            done: 0,
            failed: 0,
            tty: std::io::stderr().is_terminal(),
            last_print: Instant::now(),
        }
    }

    fn started(&mut self, pair: &str, case: &str) {
        if self.tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[K[{:>5}/{}] {} failed · {pair} · {case}",
                self.done, self.total, self.failed
            );
            let _ = err.flush();
        }
    }

    fn done(&mut self, cell: &Cell) {
        self.done += 1;
        if matches!(cell.status, Status::Fail(_)) {
            self.failed += 1;
            let mut err = std::io::stderr().lock();
            let first_line = match &cell.status {
                Status::Fail(m) => m.lines().next().unwrap_or_default().to_owned(),
                _ => String::new(),
            };
            let _ = writeln!(
                err,
                "{}FAIL {} on {}: {first_line}",
                if self.tty { "\r\x1b[K" } else { "" },
                cell.case,
                cell.pair
            );
        }
        if !self.tty && self.last_print.elapsed() >= Duration::from_secs(10) {
            self.last_print = Instant::now();
            eprintln!(
                "[{:>5}/{}] {} failed · last: {} on {}",
                self.done, self.total, self.failed, cell.case, cell.pair
            );
        }
    }

    fn finish(&mut self) {
        if self.tty {
            eprint!("\r\x1b[K");
        }
        eprintln!(
            "[{:>5}/{}] done, {} failed",
            self.done, self.total, self.failed
        );
    }
}
