//! A reactor that does nothing: enough for a `Handle` whose tests never
//! touch I/O or timers.

use std::os::fd::RawFd;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use baton_protocol::reactor::{ReactorStats, SourceKey, Tick, TimerKey, Turn};
use baton_protocol::{Direction, Error, Interest, Reactor};

const INERT: Error = Error::Unsupported("the inert test reactor has no sources or timers");

/// Refuses every source and timer; `park` returns at once.
#[derive(Debug, Default)]
pub(crate) struct InertReactor;

impl Reactor for InertReactor {
    fn register(&self, _fd: RawFd, _interest: Interest) -> Result<SourceKey, Error> {
        Err(INERT)
    }

    fn reregister(&self, _key: SourceKey, _interest: Interest) -> Result<(), Error> {
        Err(INERT)
    }

    fn deregister(&self, _key: SourceKey) -> Result<(), Error> {
        Err(INERT)
    }

    fn close(&self, _key: SourceKey) -> Result<(), Error> {
        Err(INERT)
    }

    fn poll_ready(
        &self,
        _key: SourceKey,
        _dir: Direction,
        _cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        Poll::Ready(Err(INERT))
    }

    fn clear_ready(&self, _key: SourceKey, _dir: Direction, _tick: Tick) -> Result<(), Error> {
        Err(INERT)
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn insert_timer(&self, _deadline: Instant, _waker: &Waker) -> Result<TimerKey, Error> {
        Err(INERT)
    }

    fn poll_timer(&self, _key: TimerKey, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Err(INERT))
    }

    fn reset_timer(&self, _key: TimerKey, _deadline: Instant) -> Result<(), Error> {
        Err(INERT)
    }

    fn cancel_timer(&self, _key: TimerKey) -> bool {
        false
    }

    fn park(&self, _timeout: Option<Duration>, _runtime_idle: bool) -> Result<Turn, Error> {
        Ok(Turn::default())
    }

    fn unpark(&self) {}

    fn resolution(&self) -> Duration {
        Duration::ZERO
    }

    fn stats(&self) -> ReactorStats {
        ReactorStats::default()
    }

    fn shutdown(&self) {}
}
