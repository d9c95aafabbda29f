//! K. Signals: a signal sent to the process reaches every listener, through
//! the reactor, on every pair; the last listener gives the previous
//! disposition back.
//!
//! Signals are process-wide and the cases of a pair run one after another
//! in one child process, so each case leaves every signal as it found it
//! (the second case checks exactly that). They use `SIGUSR1` and `SIGUSR2`,
//! which neither the harness nor any other case touches (`wake` installs
//! its own `SIGURG` handler). Nothing sleeps: each wait is on the signal
//! itself, under the harness watchdog.

use baton_protocol::signal::Signals;
use baton_protocol::spawn;

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::util::os;
use crate::{ensure, ensure_eq};

pub(crate) const CASES: &[Case] = &[
    case!(
        "signal.every_listener_gets_it",
        "a signal sent to the process reaches two listeners, one of them in another task",
        [],
        every_listener_gets_it
    ),
    case!(
        "signal.last_listener_restores",
        "dropping the last listener restores the default disposition; a new listener still gets the signal",
        [],
        last_listener_restores
    ),
];

/// Whether `signal` is caught by a handler in this process: the `SigCgt`
/// mask of /proc/self/status.
fn caught(signal: libc::c_int) -> Result<bool, Failure> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .ok_or_else(|| Failure::new("/proc/self/status has no SigCgt line"))?;
    let mask = u64::from_str_radix(mask.trim(), 16)
        .map_err(|e| Failure::new(format!("SigCgt is not hex: {e}")))?;
    Ok(mask & (1 << (signal - 1)) != 0)
}

fn every_listener_gets_it(ctx: &Ctx) -> Outcome {
    let signal = libc::SIGUSR1;
    ctx.block_on(async {
        let mut here = Signals::new([signal]).map_err(baton_protocol::Error::from)?;
        let mut there = Signals::new([signal]).map_err(baton_protocol::Error::from)?;
        let other = spawn(async move { there.recv().await })?;
        os::kill_self(signal)?;
        ensure_eq!(here.recv().await?, signal, "the first listener's signal");
        ensure_eq!(other.await??, signal, "the other task's signal");
        Ok(())
    })?
}

fn last_listener_restores(ctx: &Ctx) -> Outcome {
    let signal = libc::SIGUSR2;
    ensure!(!caught(signal)?, "SIGUSR2 was caught before the case");
    ctx.block_on(async {
        let first = Signals::new([signal]).map_err(baton_protocol::Error::from)?;
        let second = Signals::new([signal]).map_err(baton_protocol::Error::from)?;
        ensure!(caught(signal)?, "no handler while listening");
        drop(first);
        ensure!(caught(signal)?, "the handler went with one listener left");
        drop(second);
        ensure!(!caught(signal)?, "the default disposition was not restored");
        // signal-hook-registry still counts its handler as installed; a
        // new listener must put it back, or this signal kills the process.
        let mut again = Signals::new([signal]).map_err(baton_protocol::Error::from)?;
        os::kill_self(signal)?;
        ensure_eq!(again.recv().await?, signal, "the signal after re-listening");
        Ok::<_, Failure>(())
    })??;
    ensure!(!caught(signal)?, "SIGUSR2 is still caught after the case");
    Ok(())
}
