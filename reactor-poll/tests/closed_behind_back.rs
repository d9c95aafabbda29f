//! Decision 7 on `PollReactor`: an fd closed behind the reactor's back
//! (never deregistered) must not keep `park` from sleeping.
//!
//! poll(2) reports `POLLNVAL` for a closed fd on every call, whatever it was
//! asked for; epoll forgets a closed file silently. This binary holds one
//! test and opens no fd between the close and the parks, so the closed
//! number is not reused under the registration.

use std::io::pipe;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use baton_protocol::{Direction, Error, Interest, Reactor};
use baton_reactor_poll::PollReactor;

/// Turns parked after the close: enough to see a spin, short in total.
const TURNS: usize = 5;

#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn fd_closed_behind_the_reactors_back_does_not_spin_park() {
    let reactor = PollReactor::new().unwrap();
    let (reader, _writer) = pipe().unwrap();
    let key = reactor
        .register(reader.as_raw_fd(), Interest::READ)
        .unwrap();
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    assert!(
        reactor
            .poll_ready(key, Direction::Read, &mut cx)
            .is_pending()
    );

    // Really closed, not replaced: nothing else is opened until the end.
    drop(reader);
    let events: Vec<usize> = (0..TURNS)
        .map(|_| {
            reactor
                .park(Some(Duration::from_millis(50)), true)
                .unwrap()
                .events
        })
        .collect();

    if cfg!(polling_test_poll_backend) {
        // poll(2): the first turn reports the fault (`POLLNVAL`), the
        // source is closed and leaves the poller, and the waiter meets
        // `Error::Closed`; later turns dispatch nothing.
        assert_eq!(events, [1, 0, 0, 0, 0], "events per park turn");
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the waiter was not woken"
        );
        assert!(matches!(
            reactor.poll_ready(key, Direction::Read, &mut cx),
            Poll::Ready(Err(Error::Closed))
        ));
    } else {
        // epoll forgot the file when it closed: no event, and the waiter
        // waits until a timeout or cancel ends it (Decision 7).
        assert_eq!(events, [0; TURNS], "events per park turn");
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert!(
            reactor
                .poll_ready(key, Direction::Read, &mut cx)
                .is_pending()
        );
    }
    reactor.deregister(key).unwrap();
    assert_eq!(reactor.stats().registrations, 0);
}
