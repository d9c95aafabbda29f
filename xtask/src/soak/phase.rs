//! One phase of a soak: a server under its cycle of clients for a set
//! time, its resources sampled all along, then checked once the clients
//! are gone.

use std::net::SocketAddr;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use super::child::{Client, Server};
use super::load::Run;
use super::proc::{self, Usage};
use super::verdict::{self, Verdict};

/// How often the loop looks at the client, the server and the clock.
const TICK: Duration = Duration::from_millis(20);

/// How long one client run may take before the soak gives up on it: far
/// above the few seconds each run takes, so only a server that stopped
/// answering reaches it.
const CLIENT_GUARD: Duration = Duration::from_secs(120);

/// How long the server has, once the last client is gone, to close every
/// connection: the `resp` server lingers up to a second on a connection
/// it closes itself; 10 s leaves room for a loaded machine.
const SETTLE: Duration = Duration::from_secs(10);

/// What a phase runs.
pub(crate) struct Plan<'a> {
    /// The server's name, for the report.
    pub(crate) name: &'static str,
    /// The server binary and its flags (`--port 0` is added).
    pub(crate) server: &'a Path,
    pub(crate) server_args: &'a [&'a str],
    /// The client runs, repeated in turn.
    pub(crate) cycle: &'a dyn Fn(SocketAddr) -> Vec<Run>,
    /// How long the load lasts.
    pub(crate) budget: Duration,
}

/// One reading taken during the load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sample {
    /// Since the load began.
    pub(crate) at: Duration,
    pub(crate) usage: Usage,
    /// The client run going on when it was taken.
    pub(crate) running: &'static str,
}

/// What a phase saw.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) name: &'static str,
    /// The server's flags, for the report.
    pub(crate) server_args: String,
    /// The server once listening, before any client.
    pub(crate) idle: Usage,
    /// Readings taken during the load.
    pub(crate) samples: Vec<Sample>,
    /// Samples before this are warm-up, left out of the verdict.
    pub(crate) warm_up: Duration,
    pub(crate) interval: Duration,
    /// The server once the clients were gone and its fds had settled (or
    /// [`SETTLE`] had passed); `None` if it could not be read.
    pub(crate) after: Option<Usage>,
    /// Client runs that finished, and the requests they made.
    pub(crate) runs: usize,
    pub(crate) requests: u64,
    /// The RSS verdict over the samples after warm-up.
    pub(crate) verdict: Verdict,
    /// Every failure seen; empty if the phase passed.
    pub(crate) problems: Vec<String>,
}

/// A sample every 60th of the phase, within 0.25 s to 5 s: enough
/// readings for medians of thirds on a short run, few enough to print.
pub(crate) fn sample_interval(budget: Duration) -> Duration {
    (budget / 60).clamp(Duration::from_millis(250), Duration::from_secs(5))
}

/// How long after the load begins samples start to count: a quarter of
/// the phase, but at least 15 s (and at most half of it). The servers'
/// RSS rises for a while after the first cycle of clients: on the
/// reference machine (2 cores) the `resp` server's went from 12.0 MiB at
/// 10 s to 13.5 MiB at 25 s, then stayed within 13.1 to 14.1 MiB for the
/// rest of a 5-minute soak (its worker threads' allocator arenas settling
/// at the high-water mark of the 200-connection run); the 15 s floor
/// keeps most of that climb out of a 1-minute soak's first third.
pub(crate) fn warm_up(budget: Duration) -> Duration {
    (budget / 4).max(Duration::from_secs(15)).min(budget / 2)
}

/// Runs the phase `plan`.
///
/// # Errors
///
/// The server cannot be started or read before any load: nothing was
/// measured.
pub(crate) fn run(plan: &Plan<'_>) -> Result<Outcome, String> {
    let mut server = Server::start(plan.server, plan.server_args)?;
    let pid = server.pid();
    let idle = proc::usage(pid)?;
    let runs = (plan.cycle)(server.addr);
    let interval = sample_interval(plan.budget);
    let mut outcome = Outcome {
        name: plan.name,
        server_args: plan.server_args.join(" "),
        idle,
        samples: Vec::new(),
        warm_up: warm_up(plan.budget),
        interval,
        after: None,
        runs: 0,
        requests: 0,
        verdict: Verdict::TooFewSamples { have: 0 },
        problems: Vec::new(),
    };
    load(&mut server, &runs, plan.budget, &mut outcome);
    if outcome.problems.is_empty() {
        settle(&mut server, &mut outcome);
    }
    let rss: Vec<u64> = outcome
        .samples
        .iter()
        .filter(|s| s.at >= outcome.warm_up)
        .map(|s| s.usage.rss)
        .collect();
    outcome.verdict = verdict::judge(&rss, verdict::TOLERANCE);
    if outcome.problems.is_empty() {
        match outcome.verdict {
            Verdict::Steady(_) => {}
            Verdict::Grew(m) => outcome.problems.push(format!(
                "RSS grew under steady load: median {} in the first third after warm-up, \
                 {} in the last, above the limit of {} ({}% + {})",
                mib(m.early),
                mib(m.late),
                mib(m.limit),
                verdict::TOLERANCE.percent,
                mib(verdict::TOLERANCE.slack),
            )),
            Verdict::TooFewSamples { have } => outcome.problems.push(format!(
                "only {have} samples after warm-up, {} needed for a verdict",
                verdict::MIN_SAMPLES
            )),
        }
    }
    Ok(outcome)
}

/// Runs the cycle of clients for `budget`, sampling the server, until the
/// time is up or something fails (recorded in `outcome.problems`). A
/// client still running when this returns is killed as its guard drops.
fn load(server: &mut Server, runs: &[Run], budget: Duration, outcome: &mut Outcome) {
    let start = Instant::now();
    let end = start + budget;
    let mut next_sample = start;
    let mut current: Option<(usize, Client)> = None;
    let mut started = 0;
    // How long each kind of run took last time, to start none that would
    // end past the budget.
    let mut took = vec![Duration::ZERO; runs.len()];
    loop {
        if super::interrupted() {
            outcome.problems.push("interrupted by a signal".to_owned());
            return;
        }
        if let Some(problem) = server_problem(server) {
            outcome.problems.push(problem);
            return;
        }
        if let Some((i, client)) = &mut current {
            let run = &runs[*i];
            match client.try_finish() {
                Ok(Some(finished)) => {
                    took[*i] = client.running_for();
                    match run.check(&finished) {
                        Ok(n) => {
                            outcome.runs += 1;
                            outcome.requests += n;
                        }
                        Err(e) => {
                            outcome
                                .problems
                                .push(format!("client run {:?}: {e}", run.label));
                            return;
                        }
                    }
                    current = None;
                }
                Ok(None) if client.running_for() > CLIENT_GUARD => {
                    outcome.problems.push(format!(
                        "client run {:?} still running after {CLIENT_GUARD:?} \
                         (has the server stopped answering?): killed",
                        run.label
                    ));
                    return;
                }
                Ok(None) => {}
                Err(e) => {
                    outcome.problems.push(e);
                    return;
                }
            }
        }
        if current.is_none() {
            let i = started % runs.len();
            if Instant::now() + took[i] > end {
                return;
            }
            match Client::start(runs[i].command()) {
                Ok(client) => current = Some((i, client)),
                Err(e) => {
                    outcome.problems.push(e);
                    return;
                }
            }
            started += 1;
        }
        let now = Instant::now();
        if now >= next_sample {
            match proc::usage(server.pid()) {
                Ok(usage) => outcome.samples.push(Sample {
                    at: now - start,
                    usage,
                    running: current.as_ref().map_or("", |(i, _)| runs[*i].label),
                }),
                Err(e) => {
                    outcome.problems.push(format!("sampling the server: {e}"));
                    return;
                }
            }
            next_sample += outcome.interval;
        }
        thread::sleep(TICK);
    }
}

/// Waits, once the clients are gone, for the server's fd count to come
/// back to its idle figure, and records the server's state then.
fn settle(server: &mut Server, outcome: &mut Outcome) {
    let deadline = Instant::now() + SETTLE;
    let after = loop {
        match proc::usage(server.pid()) {
            Ok(usage) if usage.fds <= outcome.idle.fds || Instant::now() >= deadline => {
                break usage;
            }
            Ok(_) if super::interrupted() => {
                outcome.problems.push("interrupted by a signal".to_owned());
                return;
            }
            Ok(_) => thread::sleep(TICK),
            Err(e) => {
                outcome
                    .problems
                    .push(format!("reading the server after the load: {e}"));
                return;
            }
        }
    };
    outcome.after = Some(after);
    if after.fds > outcome.idle.fds {
        outcome.problems.push(format!(
            "{} file descriptors left open {SETTLE:?} after the last client ended \
             ({} when idle before the load, {} now)",
            after.fds - outcome.idle.fds,
            outcome.idle.fds,
            after.fds
        ));
    }
    if let Some(problem) = server_problem(server) {
        outcome.problems.push(problem);
    }
}

/// Whether the server has exited or written to standard error (it writes
/// there only on a failure: a connection error, a failed accept, a
/// panic).
fn server_problem(server: &mut Server) -> Option<String> {
    if let Some(status) = server.exited() {
        return Some(format!(
            "the server exited ({status}); its standard error: {:?}",
            server.stderr_lines()
        ));
    }
    let stderr = server.stderr_lines();
    if stderr.is_empty() {
        return None;
    }
    let shown: Vec<&String> = stderr.iter().take(5).collect();
    Some(format!(
        "the server wrote {} lines to standard error, first {shown:?}",
        stderr.len()
    ))
}

/// `bytes` in MiB, one decimal.
pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{sample_interval, warm_up};

    #[test]
    fn sample_intervals_give_about_sixty_samples_within_bounds() {
        assert_eq!(
            sample_interval(Duration::from_secs(36)),
            Duration::from_millis(600)
        );
        assert_eq!(
            sample_interval(Duration::from_secs(1)),
            Duration::from_millis(250)
        );
        assert_eq!(
            sample_interval(Duration::from_secs(3600)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn warm_up_is_a_quarter_with_a_floor_of_fifteen_seconds() {
        let secs = Duration::from_secs;
        assert_eq!(warm_up(secs(180)), secs(45));
        assert_eq!(warm_up(secs(36)), secs(15));
        assert_eq!(warm_up(secs(24)), secs(12));
    }
}
