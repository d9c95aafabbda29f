//! A program stuck on purpose, to show what a task dump says about it
//! (binary `deadlock`).
//!
//! A `supervisor` task starts two workers, `left` and `right`, that each
//! wait for the other to finish (a deadlock no wake can end), and ends. Two
//! bystanders do what healthy tasks do: `acceptor` waits for a connection,
//! `ticker` sleeps between ticks. [`until_deadlocked`] watches the
//! runtime's task dump until it shows the cycle; the dump's text names both
//! stuck tasks, what each waits on, who spawned them, and the cycle.
//!
//! # Examples
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use baton_examples::deadlock;
//!
//! let rt = baton::RuntimeOptions::default().build()?;
//! let text = rt.block_on(async {
//!     let stuck = deadlock::start()?;
//!     let dump = deadlock::until_deadlocked(&stuck).await?;
//!     Ok::<_, baton_protocol::Error>(dump.to_string())
//! })?;
//! assert!(text.contains(" (left, spawned at "), "{text}");
//! assert!(text.lines().any(|l| l.starts_with("deadlock: ")), "{text}");
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use baton_protocol::dump::{Dump, TaskState};
use baton_protocol::net::TcpListener;
use baton_protocol::task::{self, Builder, JoinHandle, TaskId};
use baton_protocol::{Error, Promise, sleep};

/// The two tasks that wait for each other.
#[derive(Clone, Copy, Debug)]
pub struct Stuck {
    /// `left`: waits for `right` to finish.
    pub left: TaskId,
    /// `right`: waits for `left` to finish.
    pub right: TaskId,
}

/// Starts the supervisor (which starts `left` and `right`, then ends) and
/// the two bystanders on the current runtime; the Promise gives the stuck
/// pair's ids once both exist.
///
/// # Errors
///
/// [`Error::NoRuntime`] outside a runtime; [`Error::Shutdown`] if it shut
/// down.
pub fn start() -> Result<Promise<Stuck>, Error> {
    let stuck = Promise::new();
    let pair = stuck.clone();
    Builder::new()
        .name("supervisor")
        .spawn(async move { pair.set_result(spawn_pair()?) })?
        .detach();
    Builder::new()
        .name("acceptor")
        .spawn(async {
            let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
            loop {
                drop(listener.accept().await?);
            }
            #[allow(unreachable_code, reason = "names the block's error type")]
            Ok::<(), Error>(())
        })?
        .detach();
    Builder::new()
        .name("ticker")
        .spawn(async {
            loop {
                sleep(Duration::from_secs(1)).await?;
            }
            #[allow(unreachable_code, reason = "names the block's error type")]
            Ok::<(), Error>(())
        })?
        .detach();
    Ok(stuck)
}

/// `left` awaits `right`'s handle; `right` is handed `left`'s handle once
/// both exist, and awaits it.
fn spawn_pair() -> Result<Stuck, Error> {
    let slot = Arc::new(Mutex::new(None::<JoinHandle<Result<(), Error>>>));
    let handed = Promise::<()>::new();
    let right = Builder::new().name("right").spawn({
        let (slot, handed) = (Arc::clone(&slot), handed.clone());
        async move {
            handed.await?;
            let left = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(left) = left {
                left.await??;
            }
            Ok::<(), Error>(())
        }
    })?;
    let right_id = right.id();
    let left = Builder::new().name("left").spawn(async move {
        right.await??;
        Ok::<(), Error>(())
    })?;
    let left_id = left.id();
    *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(left);
    handed.set_result(())?;
    Ok(Stuck {
        left: left_id,
        right: right_id,
    })
}

/// Waits until the runtime's task dump shows `stuck`'s tasks waiting for
/// each other and every task waiting (the bystanders too), and returns
/// that dump.
///
/// # Errors
///
/// [`Error::NoRuntime`] outside a runtime; [`Error::Unsupported`] on an
/// executor without dumps; the Promise's error if [`start`] failed.
pub async fn until_deadlocked(stuck: &Promise<Stuck>) -> Result<Dump, Error> {
    let Stuck { left, right } = stuck.await?;
    loop {
        let dump = task::dump()?;
        let cycle = dump
            .wait_cycles()
            .into_iter()
            .any(|c| c.contains(&left) && c.contains(&right));
        let quiet = dump.tasks.iter().all(|t| t.state == TaskState::Waiting);
        if cycle && quiet {
            return Ok(dump);
        }
        sleep(Duration::from_millis(1)).await?;
    }
}
