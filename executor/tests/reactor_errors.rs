//! A reactor whose park fails now and then (an OS hiccup) must not stop the
//! executor from driving it: timers and I/O still complete, and the failure
//! is reported once, not on every retry.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use baton_protocol::decorate::Decorator;
use baton_protocol::reactor::Turn;
use baton_protocol::{Error, Reactor};
use baton_reactor_epoll::EpollReactor;

mod util;

use util::{Case, Flavor, guarded};

/// Fails its first `failures` parks with `EAGAIN`.
struct Flaky {
    inner: EpollReactor,
    failures: AtomicUsize,
}

impl Decorator for Flaky {
    type Inner = dyn Reactor;

    fn inner(&self) -> &Self::Inner {
        &self.inner
    }

    fn park(&self, timeout: Option<Duration>, runtime_idle: bool) -> Result<Turn, Error> {
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(Error::Io(std::io::Error::from_raw_os_error(libc::EAGAIN)));
        }
        self.inner().park(timeout, runtime_idle)
    }
}

fn flaky() -> Arc<dyn Reactor> {
    Arc::new(Flaky {
        inner: EpollReactor::new().expect("an epoll reactor"),
        failures: AtomicUsize::new(3),
    })
}

fn keeps_driving_after_failed_parks(case: Case) {
    let ex = case.ex();
    let reports = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&reports);
    ex.handle().set_error_hook(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    // A spawned task's timer: it fires only if some thread drives the
    // reactor after its first parks failed.
    let slept = ex.block_on(async {
        baton_protocol::spawn(baton_protocol::sleep(Duration::from_millis(5)))?.await?
    });
    assert!(matches!(slept, Ok(Ok(()))), "{slept:?}");
    // At most once: a runtime's workers may fail their parks before the
    // hook is installed (then the report went to stderr).
    let reported = reports.load(Ordering::SeqCst);
    assert!(reported <= 1, "the failure was reported {reported} times");
}

#[test]
fn local_executor() {
    guarded(
        keeps_driving_after_failed_parks,
        Case {
            flavor: Flavor::Local,
            reactor: flaky,
        },
    );
}

#[test]
fn runtime() {
    guarded(
        keeps_driving_after_failed_parks,
        Case {
            flavor: Flavor::Runtime,
            reactor: flaky,
        },
    );
}
