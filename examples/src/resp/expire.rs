//! Active expiry: a task that sleeps on the runtime's timers until the
//! nearest deadline and removes the keys whose time has come.

use std::sync::Arc;
use std::time::Instant;

use baton_protocol::task::yield_now;
use baton_protocol::time::sleep_until;
use baton_protocol::{Error, Handle};
use futures_lite::future;

use super::Shared;
use super::db::Alarm;

/// The most keys removed under one lock of the keyspace; past it the task
/// yields so that clients are served between rounds.
const PURGE_BATCH: usize = 1000;

/// Removes expired keys as their deadlines come, until the runtime shuts
/// down.
///
/// The task sleeps with [`sleep_until`] on the nearest deadline (one
/// reactor timer, as the design note's heap of deadlines), or without a
/// timer when no key expires. A write that sets an earlier deadline
/// completes the Promise of the alarm armed in the keyspace, which wakes
/// the task to re-arm.
///
/// # Errors
///
/// [`Error::Shutdown`] (or [`Error::NoRuntime`] outside a runtime).
pub(super) async fn run(shared: Arc<Shared>) -> Result<(), Error> {
    let reactor = Arc::clone(Handle::current()?.reactor());
    loop {
        let Some((deadline, wake)) = purge_and_arm(&shared, reactor.now()) else {
            yield_now().await;
            continue;
        };
        let woken = async {
            // The alarm is only ever completed with a value.
            let _ = wake.await;
            Ok(())
        };
        match deadline {
            Some(at) => future::or(sleep_until(at), woken).await?,
            None => woken.await?,
        }
    }
}

/// Removes a batch of expired keys and, if that was all of them, arms the
/// alarm; `None` if more may be due.
fn purge_and_arm(shared: &Shared, now: Instant) -> Option<Alarm> {
    let mut db = shared.lock();
    (db.purge(now, PURGE_BATCH) < PURGE_BATCH).then(|| db.arm())
}
