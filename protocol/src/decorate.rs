//! Reactor decorators: wrap any [`Reactor`] and change one behaviour.
//!
//! Test reactors (virtual time, fault injection) and the conformance suite's
//! deliberately broken "mutant" backends are decorators: they forward almost
//! every call to an inner reactor and override one or two. Implementing
//! [`Decorator`] gives a type the whole [`Reactor`] trait, forwarding every
//! method it does not override.
//!
//! # Examples
//!
//! A reactor that counts its parks and otherwise behaves like the one it
//! wraps:
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::time::Duration;
//! use baton_protocol::decorate::Decorator;
//! use baton_protocol::reactor::Turn;
//! use baton_protocol::{Error, Reactor};
//!
//! struct CountParks<R> {
//!     inner: R,
//!     parks: AtomicUsize,
//! }
//!
//! impl<R: Reactor> Decorator for CountParks<R> {
//!     type Inner = R;
//!
//!     fn inner(&self) -> &R {
//!         &self.inner
//!     }
//!
//!     fn park(&self, timeout: Option<Duration>, runtime_idle: bool) -> Result<Turn, Error> {
//!         self.parks.fetch_add(1, Ordering::Relaxed);
//!         self.inner.park(timeout, runtime_idle)
//!     }
//! }
//! ```

use std::any::Any;
use std::os::fd::{BorrowedFd, RawFd};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::Error;
use crate::completion::Completion;
use crate::reactor::{
    Direction, Interest, IoFault, Reactor, ReactorStats, SourceKey, Tick, TimerKey, Turn,
};

/// A reactor that wraps another and forwards every method it does not
/// override; every `Decorator` is a [`Reactor`].
///
/// Each method's contract is the one documented on [`Reactor`]; an override
/// must keep it unless breaking it is the point (a conformance mutant).
///
/// Hold the wrapped reactor as a generic `R: Reactor` or as `dyn Reactor`
/// (`type Inner = dyn Reactor`) and call it through [`inner`](Self::inner).
/// baton's own reactors are themselves thin decorators over
/// `baton_reactor_kit::Driver`; with both traits in scope, a method
/// called on such a concrete type is ambiguous and needs
/// `Reactor::park(&inner, ..)`.
#[allow(missing_docs, reason = "each method is documented on Reactor")]
pub trait Decorator: Send + Sync {
    /// The wrapped reactor type; `dyn Reactor` works, for an inner reactor
    /// held as `Arc<dyn Reactor>`.
    type Inner: Reactor + ?Sized;

    /// The wrapped reactor.
    fn inner(&self) -> &Self::Inner;

    fn register(&self, fd: RawFd, interest: Interest) -> Result<SourceKey, Error> {
        self.inner().register(fd, interest)
    }
    fn reregister(&self, key: SourceKey, interest: Interest) -> Result<(), Error> {
        self.inner().reregister(key, interest)
    }
    fn deregister(&self, key: SourceKey) -> Result<(), Error> {
        self.inner().deregister(key)
    }
    fn close(&self, key: SourceKey) -> Result<(), Error> {
        self.inner().close(key)
    }
    fn poll_ready(
        &self,
        key: SourceKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        self.inner().poll_ready(key, dir, cx)
    }
    fn clear_ready(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        self.inner().clear_ready(key, dir, tick)
    }
    fn clear_drained(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        self.inner().clear_drained(key, dir, tick)
    }
    fn now(&self) -> Instant {
        self.inner().now()
    }
    fn insert_timer(&self, deadline: Instant, waker: &Waker) -> Result<TimerKey, Error> {
        self.inner().insert_timer(deadline, waker)
    }
    fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner().poll_timer(key, cx)
    }
    /// Not forwarded: the default polls and cancels through this
    /// decorator's own [`poll_timer`](Decorator::poll_timer) and
    /// [`cancel_timer`](Decorator::cancel_timer), so that a decorator that
    /// overrides those (a virtual clock with timers of its own, a fault
    /// injector) is never bypassed by a sleep. A decorator that changes
    /// neither forwards it to keep the inner reactor's single call.
    fn poll_timer_once(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let polled = Decorator::poll_timer(self, key, cx);
        if polled.is_ready() {
            Decorator::cancel_timer(self, key);
        }
        polled
    }
    fn reset_timer(&self, key: TimerKey, deadline: Instant) -> Result<(), Error> {
        self.inner().reset_timer(key, deadline)
    }
    fn cancel_timer(&self, key: TimerKey) -> bool {
        self.inner().cancel_timer(key)
    }
    fn park(&self, timeout: Option<Duration>, runtime_idle: bool) -> Result<Turn, Error> {
        self.inner().park(timeout, runtime_idle)
    }
    fn unpark(&self) {
        self.inner().unpark();
    }
    fn resolution(&self) -> Duration {
        self.inner().resolution()
    }
    fn stats(&self) -> ReactorStats {
        self.inner().stats()
    }
    fn shutdown(&self) {
        self.inner().shutdown();
    }
    fn io_fault(&self, key: SourceKey, dir: Direction) -> Option<IoFault> {
        self.inner().io_fault(key, dir)
    }
    fn guest_fd(&self) -> Option<BorrowedFd<'_>> {
        self.inner().guest_fd()
    }
    fn guest_wait(&self) -> Result<Option<Instant>, Error> {
        self.inner().guest_wait()
    }
    fn host_runtime(&self, runtime: &dyn Any) {
        self.inner().host_runtime(runtime);
    }
    fn completion(&self) -> Option<&dyn Completion> {
        self.inner().completion()
    }
}

impl<D: Decorator> Reactor for D {
    fn register(&self, fd: RawFd, interest: Interest) -> Result<SourceKey, Error> {
        Decorator::register(self, fd, interest)
    }
    fn reregister(&self, key: SourceKey, interest: Interest) -> Result<(), Error> {
        Decorator::reregister(self, key, interest)
    }
    fn deregister(&self, key: SourceKey) -> Result<(), Error> {
        Decorator::deregister(self, key)
    }
    fn close(&self, key: SourceKey) -> Result<(), Error> {
        Decorator::close(self, key)
    }
    fn poll_ready(
        &self,
        key: SourceKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Tick, Error>> {
        Decorator::poll_ready(self, key, dir, cx)
    }
    fn clear_ready(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        Decorator::clear_ready(self, key, dir, tick)
    }
    fn clear_drained(&self, key: SourceKey, dir: Direction, tick: Tick) -> Result<(), Error> {
        Decorator::clear_drained(self, key, dir, tick)
    }
    fn now(&self) -> Instant {
        Decorator::now(self)
    }
    fn insert_timer(&self, deadline: Instant, waker: &Waker) -> Result<TimerKey, Error> {
        Decorator::insert_timer(self, deadline, waker)
    }
    fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Decorator::poll_timer(self, key, cx)
    }
    fn poll_timer_once(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Decorator::poll_timer_once(self, key, cx)
    }
    fn reset_timer(&self, key: TimerKey, deadline: Instant) -> Result<(), Error> {
        Decorator::reset_timer(self, key, deadline)
    }
    fn cancel_timer(&self, key: TimerKey) -> bool {
        Decorator::cancel_timer(self, key)
    }
    fn park(&self, timeout: Option<Duration>, runtime_idle: bool) -> Result<Turn, Error> {
        Decorator::park(self, timeout, runtime_idle)
    }
    fn unpark(&self) {
        Decorator::unpark(self);
    }
    fn resolution(&self) -> Duration {
        Decorator::resolution(self)
    }
    fn stats(&self) -> ReactorStats {
        Decorator::stats(self)
    }
    fn shutdown(&self) {
        Decorator::shutdown(self);
    }
    fn io_fault(&self, key: SourceKey, dir: Direction) -> Option<IoFault> {
        Decorator::io_fault(self, key, dir)
    }
    fn guest_fd(&self) -> Option<BorrowedFd<'_>> {
        Decorator::guest_fd(self)
    }
    fn guest_wait(&self) -> Result<Option<Instant>, Error> {
        Decorator::guest_wait(self)
    }
    fn host_runtime(&self, runtime: &dyn Any) {
        Decorator::host_runtime(self, runtime);
    }
    fn completion(&self) -> Option<&dyn Completion> {
        Decorator::completion(self)
    }
}
