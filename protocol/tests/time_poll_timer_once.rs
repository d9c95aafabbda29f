//! `Reactor::poll_timer_once`: the driver frees a fired timer in the same
//! call, and a decorator's default goes through its own `poll_timer` and
//! `cancel_timer`, so a sleep never bypasses a decorator that changes
//! either.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::TimerKey;
use baton_protocol::{Error, Reactor};
use baton_reactor_epoll::EpollReactor;

/// Forwards everything, counting the two timer calls `poll_timer_once` is
/// made of.
struct Counting {
    inner: Arc<dyn Reactor>,
    polls: AtomicUsize,
    cancels: AtomicUsize,
}

impl Decorator for Counting {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &*self.inner
    }

    fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        self.inner.poll_timer(key, cx)
    }

    fn cancel_timer(&self, key: TimerKey) -> bool {
        self.cancels.fetch_add(1, Ordering::Relaxed);
        self.inner.cancel_timer(key)
    }
}

impl Counting {
    fn counts(&self) -> (usize, usize) {
        (
            self.polls.load(Ordering::Relaxed),
            self.cancels.load(Ordering::Relaxed),
        )
    }
}

/// Inserts a timer due now and fires it with a non-blocking turn.
fn fired(reactor: &dyn Reactor) -> TimerKey {
    let key = reactor
        .insert_timer(reactor.now(), Waker::noop())
        .expect("a fresh reactor takes timers");
    reactor
        .park(Some(Duration::ZERO), false)
        .expect("a turn of a fresh reactor");
    key
}

/// Inserts a timer a minute away, whose `poll_timer_once` is pending.
fn pending(reactor: &dyn Reactor, cx: &mut Context<'_>) -> TimerKey {
    let key = reactor
        .insert_timer(reactor.now() + Duration::from_secs(60), Waker::noop())
        .unwrap();
    assert!(reactor.poll_timer_once(key, cx).is_pending());
    key
}

#[test]
fn the_driver_frees_a_fired_timer_in_one_call() {
    let reactor = EpollReactor::new().unwrap();
    let reactor: &dyn Reactor = &reactor;
    let mut cx = Context::from_waker(Waker::noop());
    let pending = pending(reactor, &mut cx);
    assert_eq!(reactor.stats().timers, 1, "a pending timer stays");
    let key = fired(reactor);
    assert!(matches!(
        reactor.poll_timer_once(key, &mut cx),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(reactor.stats().timers, 1, "only the pending one is left");
    assert!(matches!(
        reactor.poll_timer(key, &mut cx),
        Poll::Ready(Err(Error::NotRegistered))
    ));
    assert!(reactor.cancel_timer(pending));
}

#[test]
fn a_decorator_polls_and_cancels_through_its_own_methods() {
    let counting = Counting {
        inner: Arc::new(EpollReactor::new().unwrap()),
        polls: AtomicUsize::new(0),
        cancels: AtomicUsize::new(0),
    };
    let reactor: &dyn Reactor = &counting;
    let mut cx = Context::from_waker(Waker::noop());
    pending(reactor, &mut cx);
    assert_eq!(counting.counts(), (1, 0), "pending: no cancel");
    let key = fired(reactor);
    assert!(matches!(
        reactor.poll_timer_once(key, &mut cx),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(counting.counts(), (2, 1), "fired: polled, then cancelled");
    assert_eq!(reactor.stats().timers, 1);
    assert!(matches!(
        reactor.poll_timer_once(key, &mut cx),
        Poll::Ready(Err(Error::NotRegistered))
    ));
}
