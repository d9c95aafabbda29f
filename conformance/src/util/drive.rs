//! Driving a bare reactor by hand, for cases below the executor.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_protocol::reactor::{SourceKey, Tick};
use baton_protocol::{Direction, Reactor};

use crate::util::WakeCount;

use crate::case::Failure;

/// Parks `reactor` in short turns until `done()` holds or `limit` of real
/// time has passed; returns whether `done()` held. A hang guard, not a timer:
/// `limit` is generous and only matters when the contract is broken.
///
/// # Errors
///
/// A failing `park`.
pub fn park_until(
    reactor: &dyn Reactor,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> Result<bool, Failure> {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return Ok(true);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        // A bare reactor has no executor and so nothing runnable: the park
        // is an idle one (which lets a virtual clock jump).
        reactor
            .park(Some(left.min(Duration::from_millis(50))), true)
            .map_err(|e| Failure::new(format!("park failed: {e}")))?;
    }
}

/// Parks `reactor` with no timeout until `done()` holds, counting turns; at
/// most `max_turns`. Returns the turns taken, or `None` if `done()` never
/// held.
///
/// # Errors
///
/// A failing `park`.
pub fn turns_until(
    reactor: &dyn Reactor,
    max_turns: usize,
    mut done: impl FnMut() -> bool,
) -> Result<Option<usize>, Failure> {
    for turn in 0..=max_turns {
        if done() {
            return Ok(Some(turn));
        }
        reactor
            .park(None, true)
            .map_err(|e| Failure::new(format!("park failed: {e}")))?;
    }
    Ok(None)
}

/// Polls `future` once with `waker`.
pub fn poll_once<F: Future>(future: F, waker: &Waker) -> Poll<F::Output> {
    let future = pin!(future);
    future.poll(&mut Context::from_waker(waker))
}

/// Yields to the runtime until `cond()` holds, for at most `limit` of real
/// time; returns whether it held. A wait for a state, not a timer: on a
/// multi-thread executor the tasks that bring the state about run on other
/// workers meanwhile, so each round also yields the thread.
pub async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        baton_protocol::task::yield_now().await;
        std::thread::yield_now();
    }
}

/// Parks `reactor` until `dir` of `key` is ready (at most five seconds of
/// real time); returns its tick. Spurious wake-ups on the way are fine.
///
/// # Errors
///
/// A failing `park`, or a direction that never became ready.
pub fn wait_ready(reactor: &dyn Reactor, key: SourceKey, dir: Direction) -> Result<Tick, Failure> {
    let waker = WakeCount::new().waker();
    let mut cx = Context::from_waker(&waker);
    let mut tick = None;
    park_until(reactor, Duration::from_secs(5), || {
        match reactor.poll_ready(key, dir, &mut cx) {
            Poll::Ready(Ok(t)) => {
                tick = Some(t);
                true
            }
            _ => false,
        }
    })?;
    tick.ok_or_else(|| Failure::new(format!("{dir} never became ready")))
}
