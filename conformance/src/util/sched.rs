//! Time the machine took from the suite: how long this process's threads
//! were ready to run but waited for a CPU.
//!
//! A case that bounds lateness ("a 10 ms sleep ends within 35 ms") checks
//! the backend, not the machine. On a loaded machine (CI's two cores, a
//! build beside the matrix) a thread that the reactor woke on time can wait
//! tens of milliseconds for a CPU; that wait is the scheduler's, and a case
//! subtracts it before comparing with its bound. What is left is lateness
//! the backend caused: a park that slept past its deadline leaves the thread
//! asleep, not runnable, so it is never subtracted, and the mutants that
//! fire late or sleep through an `unpark` are still caught.
//!
//! Linux reports the run-queue wait of each thread in
//! `/proc/self/task/TID/schedstat` (second field, nanoseconds). The sum over
//! the process's threads may count two threads' waits that overlap, which
//! only makes a bound looser, never stricter; a thread that exits between
//! two readings takes its count with it, which only makes the stolen time
//! smaller. Where the file is missing, nothing is subtracted.

use std::fs;
use std::time::Duration;

/// A reading of the process's total run-queue wait, to compare with a later
/// one.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use baton_conformance::util::Stolen;
///
/// let (mark, t0) = (Stolen::mark(), Instant::now());
/// std::thread::sleep(Duration::from_millis(1));
/// let late = t0.elapsed().saturating_sub(Duration::from_millis(1));
/// // The lateness the sleeper itself caused, with the machine's share taken out.
/// let own = late.saturating_sub(mark.since());
/// assert!(own <= late);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Stolen(Option<Duration>);

impl Stolen {
    /// Reads the process's run-queue wait now.
    pub fn mark() -> Stolen {
        Stolen(runqueue_wait())
    }

    /// How long this process's threads waited for a CPU since
    /// [`mark`](Stolen::mark); zero where Linux does not say.
    pub fn since(self) -> Duration {
        match (self.0, runqueue_wait()) {
            (Some(then), Some(now)) => now.saturating_sub(then),
            _ => Duration::ZERO,
        }
    }

    /// `elapsed` less the time stolen since the mark: the part of a wait that
    /// the code under test, not the machine, is answerable for.
    pub fn own(self, elapsed: Duration) -> Duration {
        elapsed.saturating_sub(self.since())
    }
}

/// The summed run-queue wait of every thread of this process.
fn runqueue_wait() -> Option<Duration> {
    let mut total = 0u64;
    for entry in fs::read_dir("/proc/self/task").ok()? {
        let path = entry.ok()?.path().join("schedstat");
        // A thread may exit between the listing and the read: skip it.
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        total += text.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

#[cfg(test)]
mod tests {
    use super::Stolen;

    #[test]
    fn a_busy_sibling_on_a_full_machine_shows_up_as_stolen_time() {
        // Not a timing assertion: only that the reading works and moves
        // forward (it never goes back, whatever the machine does).
        let mark = Stolen::mark();
        assert!(
            mark.0.is_some(),
            "/proc/self/task/*/schedstat is unreadable"
        );
        let first = mark.since();
        assert!(mark.since() >= first);
    }
}
