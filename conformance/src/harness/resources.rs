//! Process resources a case must give back: open fds and threads, read from
//! `/proc/self`.

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

/// Open file descriptors and threads of this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resources {
    pub(crate) fds: usize,
    pub(crate) threads: usize,
}

impl Resources {
    pub(crate) fn now() -> Resources {
        Resources {
            fds: count("/proc/self/fd"),
            threads: count("/proc/self/task"),
        }
    }

    /// Waits until the counts are back at `baseline`, or at most `limit`.
    ///
    /// A joined thread can linger in `/proc/self/task` for a moment: the
    /// kernel wakes the joiner (`CLONE_CHILD_CLEARTID`) before it reaps the
    /// thread. So a count above baseline is re-read until the kernel catches
    /// up; a real leak stays above it for the whole `limit`.
    pub(crate) fn settle(baseline: Resources, limit: Duration) -> Resources {
        let deadline = Instant::now() + limit;
        loop {
            let now = Resources::now();
            if now.fds <= baseline.fds && now.threads <= baseline.threads {
                return now;
            }
            if Instant::now() >= deadline {
                return now;
            }
            thread::yield_now();
            thread::sleep(Duration::from_millis(1));
        }
    }
}

fn count(dir: &str) -> usize {
    // read_dir itself holds an fd while listing; it is open during the count
    // every time, so it cancels out between baseline and check.
    fs::read_dir(dir).map_or(0, |d| d.count())
}
