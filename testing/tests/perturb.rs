//! The perturbing helpers: `pending_once`, `interleave_pending` (on futures
//! and on I/O), and `CountingWaker`.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use baton_testing::CountingWaker;
use baton_testing::future::{interleave_pending, pending_once};
use futures_lite::io::{AsyncReadExt, AsyncWriteExt, Cursor};

/// Polls `fut` until it is ready, counting the polls.
fn drive<F: Future>(fut: F, counter: &CountingWaker) -> (F::Output, usize) {
    let waker = counter.waker();
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = fut.as_mut().poll(&mut cx) {
            return (output, polls);
        }
        assert!(polls < 10_000, "never ready");
    }
}

#[test]
fn counting_waker_counts_clones_and_by_ref() {
    let counter = CountingWaker::new();
    let waker = counter.waker();
    waker.wake_by_ref();
    let clone = waker.clone();
    clone.wake();
    counter.waker().wake();
    assert_eq!(counter.count(), 3);
    assert_eq!(counter.take(), 3);
    assert_eq!(counter.count(), 0);
    waker.wake();
    assert_eq!(counter.count(), 1);
}

#[test]
fn pending_once_adds_exactly_one_woken_pending() {
    let counter = CountingWaker::new();
    let (value, polls) = drive(pending_once(async { 5 }), &counter);
    assert_eq!((value, polls, counter.count()), (5, 2, 1));
}

#[test]
fn interleave_pending_doubles_the_polls_of_a_future() {
    // The inner future is pending twice (self-woken), then ready: three
    // inner polls, each preceded by one of ours.
    let counter = CountingWaker::new();
    let inner = pending_once(pending_once(async { "x" }));
    let (value, polls) = drive(interleave_pending(inner), &counter);
    assert_eq!((value, polls, counter.count()), ("x", 6, 5));
}

#[test]
fn interleave_pending_on_a_reader_and_a_writer() {
    let counter = CountingWaker::new();
    let (read, polls) = drive(
        async {
            let mut reader = interleave_pending(Cursor::new(b"hello world".to_vec()));
            let mut buf = [0; 5];
            reader.read_exact(&mut buf).await?;
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest).await?;
            Ok::<_, std::io::Error>((buf, rest))
        },
        &counter,
    );
    let (head, rest) = read.unwrap();
    assert_eq!((&head, rest.as_slice()), (b"hello", &b" world"[..]));
    assert!(polls > 3, "every read was interleaved: {polls} polls");

    let mut writer = interleave_pending(Cursor::new(Vec::new()));
    let (written, _) = drive(
        async {
            writer.write_all(b"abc").await?;
            writer.flush().await?;
            writer.close().await
        },
        &counter,
    );
    written.unwrap();
    assert_eq!(writer.into_inner().into_inner(), b"abc");
}

#[test]
fn wrappers_give_access_to_the_inner_value() {
    let mut wrapped = interleave_pending(Cursor::new(vec![1u8]));
    assert_eq!(wrapped.get_ref().get_ref(), &[1]);
    wrapped.get_mut().get_mut().push(2);
    let pinned = Pin::new(&mut wrapped);
    assert_eq!(pinned.get_pin_mut().get_ref(), &[1, 2]);
    let once = pending_once(async { 1 });
    let _: &dyn Future<Output = i32> = once.get_ref();
}
