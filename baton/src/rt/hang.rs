//! The hang guard of `#[baton::test(timeout = "..")]`: the test's future
//! races a [`Promise`] that a watchdog thread completes when the time is up
//! (real time, also under virtual time); the runtime is then still alive, so
//! its task dump says what every task was waiting for.

use std::fmt;
use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use baton_protocol::{Error, Promise};

use super::Runtime;

/// The test did not finish in time; its runtime's task dump.
#[derive(Debug)]
struct Hang {
    after: Duration,
    dump: String,
}

impl fmt::Display for Hang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {:?}; the tasks then:", self.after)?;
        if self.dump.trim().is_empty() {
            f.write_str(" none (the test's own future was waiting)")
        } else {
            write!(f, "\n{}", self.dump.trim_end())
        }
    }
}

impl std::error::Error for Hang {}

/// A thread that completes `alarm` after `after`, unless dropped first.
struct Watchdog {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    fn start(after: Duration, alarm: Promise<()>) -> Result<Watchdog, Error> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("baton-test-watchdog".to_owned())
            .spawn(move || {
                if let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(after) {
                    // Err only if already completed, which nothing else does.
                    let _ = alarm.set_result(());
                }
            })
            .map_err(Error::Io)?;
        Ok(Watchdog {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Disconnecting ends the watchdog's wait at once.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs `future` on `rt`, failing it after `timeout` (if any) with the
/// runtime's task dump.
///
/// A future that blocks its thread inside a poll (a blocking call, a busy
/// loop) cannot be interrupted: the guard fires only at an `.await`.
///
/// # Errors
///
/// `rt`'s refusal of the `block_on`; an [`Error::Custom`] saying the test
/// timed out, with the dump.
pub(crate) fn run<F: Future>(
    rt: &Runtime,
    timeout: Option<Duration>,
    future: F,
) -> Result<F::Output, Error> {
    let Some(after) = timeout else {
        return rt.try_block_on(future);
    };
    let alarm = Promise::new();
    let watchdog = Watchdog::start(after, alarm.clone())?;
    let raced = rt.try_block_on(futures_lite::future::or(
        async { Some(future.await) },
        async {
            // The alarm is only ever completed, never failed.
            let _ = (&alarm).await;
            None
        },
    ));
    drop(watchdog);
    match raced? {
        Some(output) => Ok(output),
        None => Err(Error::custom(Hang {
            after,
            dump: rt.dump().to_string(),
        })),
    }
}
