//! `request_reply`: a client task sends requests to a server task over a
//! channel, each carrying a one-shot for the reply.

use std::marker::PhantomData;
use std::time::Instant;

use futures_channel::mpsc;
use futures_lite::StreamExt;

use super::Countdown;
use crate::rt::{FuturesShot, Job, OneShot, Rt};

/// N sequential requests; `neutral` answers through futures-channel's
/// oneshot on every runtime, else through the runtime's own one-shot.
#[derive(Clone, Copy)]
pub(super) struct RequestReply {
    pub(super) n: usize,
    pub(super) neutral: bool,
}

impl Job for RequestReply {
    type Output = f64;

    fn run<R: Rt>(self, rt: &R) -> f64 {
        if self.neutral {
            round_trips::<R, FuturesShot>(rt, self.n, PhantomData)
        } else {
            round_trips::<R, R::Shot>(rt, self.n, PhantomData)
        }
    }
}

fn round_trips<R: Rt, S: OneShot>(rt: &R, n: usize, _: PhantomData<S>) -> f64 {
    rt.block_on(async move {
        let start = Instant::now();
        let (requests, mut incoming) = mpsc::unbounded::<(u64, S::Tx)>();
        R::spawn(async move {
            while let Some((value, reply)) = incoming.next().await {
                S::send(reply, value + 1);
            }
        });
        let (countdown, done) = Countdown::new(1);
        R::spawn(async move {
            for i in 0..n as u64 {
                let (tx, rx) = S::pair();
                requests
                    .unbounded_send((i, tx))
                    .expect("the server runs until the requests end");
                assert_eq!(S::recv(rx).await, i + 1, "the reply to this request");
            }
            countdown.tick();
        });
        done.await.expect("the client says so");
        start.elapsed().as_secs_f64() * 1e3
    })
}
