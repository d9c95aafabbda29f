//! `testing::Stepper`: one poll per step, a counting waker, the wait report,
//! and no panic when stepped past the end.

mod util;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use baton_protocol::testing::{Step, Stepper};
use baton_protocol::wait::{self, WaitFor};
use baton_protocol::{Error, Handle, task};
use util::TestRuntime;

#[test]
fn steps_past_the_end_say_finished() {
    let mut stepper = Stepper::new(async { 5 });
    assert!(!stepper.is_finished());
    assert!(matches!(stepper.step(), Step::Ready(5)));
    assert!(stepper.is_finished());
    for _ in 0..3 {
        assert!(matches!(stepper.step(), Step::Finished));
    }
}

#[test]
fn woken_counts_wakes_during_and_after_a_step() {
    let mut stepper = Stepper::new(task::yield_now());
    assert!(!stepper.woken());
    // yield_now wakes its task during the poll: the executor would run it
    // again, so the stepper reports the wake.
    assert!(matches!(stepper.step(), Step::Pending { waits_on: None }));
    assert!(stepper.woken());
    assert_eq!(stepper.wake_count(), 1);
    assert!(stepper.step().is_ready());
    assert!(!stepper.woken());

    let mut manual = Stepper::new(poll_fn(|_| Poll::<()>::Pending));
    assert!(manual.step().is_pending());
    assert!(!manual.woken());
    manual.waker().wake_by_ref();
    // A clone woken from elsewhere counts too.
    let clone = manual.waker().clone();
    std::thread::spawn(move || clone.wake()).join().unwrap();
    assert!(manual.woken());
    assert_eq!(manual.wake_count(), 2);
    assert!(manual.step().is_pending());
    assert!(!manual.woken());
}

#[test]
fn reports_what_the_future_waits_on() {
    let mut labelled = Stepper::new(wait::label(
        "config reload",
        poll_fn(|_| Poll::<()>::Pending),
    ));
    assert_eq!(
        labelled.step().waits_on(),
        Some(WaitFor::Label("config reload"))
    );

    // A report left over from earlier code on the thread is not this step's.
    wait::report(WaitFor::Label("stale"));
    let mut silent = Stepper::new(poll_fn(|_| Poll::<()>::Pending));
    assert!(matches!(silent.step(), Step::Pending { waits_on: None }));
}

#[test]
fn with_handle_enters_the_runtime_during_each_step() {
    let rt = TestRuntime::new();
    let inside = || poll_fn(|_| Poll::Ready(Handle::current()));

    let mut entered = Stepper::with_handle(inside(), rt.handle.clone());
    match entered.step().ready() {
        Some(Ok(current)) => assert!(current.same_runtime(&rt.handle)),
        other => panic!("expected the runtime, got {other:?}"),
    }
    assert!(
        Handle::try_current().is_none(),
        "the runtime stayed entered"
    );

    let mut outside = Stepper::new(inside());
    assert!(matches!(
        outside.step().ready(),
        Some(Err(Error::NoRuntime))
    ));
}

#[test]
fn drives_a_hand_written_future() {
    /// Pending `n` times (waking itself), then ready with the poll count.
    struct Countdown {
        left: u32,
        polls: u32,
    }

    impl Future for Countdown {
        type Output = u32;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            self.polls += 1;
            if self.left == 0 {
                return Poll::Ready(self.polls);
            }
            self.left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    let mut stepper = Stepper::new(Countdown { left: 2, polls: 0 });
    assert!(stepper.step().is_pending());
    assert!(stepper.step().is_pending());
    assert_eq!(stepper.step().ready(), Some(3));
    assert_eq!(stepper.wake_count(), 2);
}
