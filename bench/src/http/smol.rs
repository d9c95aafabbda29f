//! hyper's `Timer` on smol: async-io's `Timer`, moved in place on `reset`.
//! (I/O needs no glue of its own: `baton_hyper::BatonIo` takes any
//! futures-io stream, async-io's `Async<TcpStream>` included; smol's
//! `Task` is not needed either, since HTTP/1 spawns nothing.)

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

/// A `hyper::rt::Timer` on async-io's timers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SmolTimer;

impl hyper::rt::Timer for SmolTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep {
            timer: async_io::Timer::after(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep {
            timer: async_io::Timer::at(deadline),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<SmolSleep>() {
            Some(ours) => ours.project().timer.set_at(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

pin_project! {
    /// An async-io `Timer` as a `hyper::rt::Sleep`.
    struct SmolSleep {
        #[pin]
        timer: async_io::Timer,
    }
}

impl Future for SmolSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let _fired_at = ready!(self.project().timer.poll(cx));
        Poll::Ready(())
    }
}

impl hyper::rt::Sleep for SmolSleep {}
