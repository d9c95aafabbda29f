//! Owned-buffer reads and writes on [`Async`]: submitted to the reactor's
//! [`Completion`] capability where it has one, run by readiness elsewhere.

use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Async;
use crate::Direction;
use crate::completion::{BufResult, Completion, OpKey, OpKind, OwnedBuf, Refused};

impl<T> Async<T>
where
    for<'a> &'a T: Read,
{
    /// Reads into an owned buffer, from its start; gives the buffer back
    /// with the byte count (0: end of stream).
    ///
    /// On a reactor with the [completion capability](crate::Reactor::completion)
    /// (io_uring in completion mode) the read is submitted to the kernel,
    /// which fills the buffer; on every other reactor the future waits for
    /// readiness and reads into the buffer, as
    /// [`read_with`](Async::read_with) would.
    ///
    /// # Cancellation
    ///
    /// Dropping the future while the read is in the kernel cancels it; the
    /// reactor keeps the buffer until the kernel is done, then drops it
    /// (see [`completion`](crate::completion)).
    ///
    /// # Errors
    ///
    /// The read's error, in the [`BufResult`]; the buffer comes back either
    /// way.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_protocol::completion::BufResult;
    /// use baton_protocol::io::Async;
    /// use std::os::unix::net::UnixStream;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let (a, b) = UnixStream::pair()?;
    /// let (a, b) = (Async::new(a)?, Async::new(b)?);
    /// let BufResult(sent, _) = b.write_owned(b"ping".to_vec()).await;
    /// let BufResult(n, buf) = a.read_owned(vec![0; 16]).await;
    /// assert_eq!(&buf[..n?], b"ping");
    /// # sent?; Ok(()) }
    /// ```
    pub fn read_owned<B: OwnedBuf>(&self, buf: B) -> OwnedIo<'_, T, B> {
        OwnedIo::new(self, OpKind::Read, buf, ready_read::<T, B>)
    }

    /// [`read_owned`](Async::read_owned) on a stream socket: a short read
    /// proves the socket drained (see `poll_read_stream`).
    pub(crate) fn read_owned_stream<B: OwnedBuf>(&self, buf: B) -> OwnedIo<'_, T, B> {
        OwnedIo::new(self, OpKind::Read, buf, ready_read_stream::<T, B>)
    }
}

impl<T> Async<T>
where
    for<'a> &'a T: Write,
{
    /// Writes an owned buffer's bytes (possibly only a prefix: the count
    /// says how many); gives the buffer back with the count.
    ///
    /// Submitted to the kernel where the reactor has the
    /// [completion capability](crate::Reactor::completion), run by
    /// readiness elsewhere; cancellation as for
    /// [`read_owned`](Async::read_owned).
    ///
    /// # Errors
    ///
    /// The write's error, in the [`BufResult`].
    pub fn write_owned<B: OwnedBuf>(&self, buf: B) -> OwnedIo<'_, T, B> {
        OwnedIo::new(self, OpKind::Write, buf, ready_write::<T, B>)
    }
}

/// One readiness attempt of an owned-buffer operation: wait, then a normal
/// read or write on the buffer's bytes (at most the injected short length).
type ReadyIo<T, B> = fn(&Async<T>, &mut B, &mut Context<'_>) -> Poll<io::Result<usize>>;

fn ready_read<T, B: OwnedBuf>(
    io: &Async<T>,
    buf: &mut B,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>>
where
    for<'a> &'a T: Read,
{
    io.poll_read_with(cx, |io, limit| read_into(io, buf, limit))
}

fn ready_read_stream<T, B: OwnedBuf>(
    io: &Async<T>,
    buf: &mut B,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>>
where
    for<'a> &'a T: Read,
{
    let len = buf.bytes_mut().len();
    io.poll_read_stream(cx, len, |io, limit| read_into(io, buf, limit))
}

fn ready_write<T, B: OwnedBuf>(
    io: &Async<T>,
    buf: &mut B,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>>
where
    for<'a> &'a T: Write,
{
    io.poll_write_with(cx, |io, limit| write_from(io, buf, limit))
}

/// One read into `buf`, at most `limit` bytes of it (a fault injector's
/// short read).
fn read_into<T, B: OwnedBuf>(io: &T, buf: &mut B, limit: Option<usize>) -> io::Result<usize>
where
    for<'a> &'a T: Read,
{
    let bytes = buf.bytes_mut();
    let end = limit.map_or(bytes.len(), |l| l.min(bytes.len()));
    (&mut &*io).read(&mut bytes[..end])
}

/// One write from `buf`, at most `limit` bytes of it (a fault injector's
/// short write).
fn write_from<T, B: OwnedBuf>(io: &T, buf: &B, limit: Option<usize>) -> io::Result<usize>
where
    for<'a> &'a T: Write,
{
    let bytes = buf.bytes();
    let end = limit.map_or(bytes.len(), |l| l.min(bytes.len()));
    (&mut &*io).write(&bytes[..end])
}

/// The future of [`Async::read_owned`] and [`Async::write_owned`] (and of
/// the stream types' owned-buffer operations): the operation's
/// [`BufResult`].
#[must_use = "futures do nothing unless polled"]
pub struct OwnedIo<'a, T, B> {
    io: &'a Async<T>,
    op: OpKind,
    /// The readiness path, for a reactor without the completion capability.
    ready_io: ReadyIo<T, B>,
    state: State<'a, B>,
}

enum State<'a, B> {
    /// Not submitted: the buffer is here.
    Idle(B),
    /// In the reactor's completion capability.
    InFlight(&'a dyn Completion, OpKey),
    /// The result was returned.
    Done,
}

// The buffer is never pinned: it moves into the reactor and back by value.
impl<T, B> Unpin for OwnedIo<'_, T, B> {}

impl<'a, T, B: OwnedBuf> OwnedIo<'a, T, B> {
    fn new(io: &'a Async<T>, op: OpKind, buf: B, ready_io: ReadyIo<T, B>) -> Self {
        OwnedIo {
            io,
            op,
            ready_io,
            state: State::Idle(buf),
        }
    }

    fn dir(&self) -> Direction {
        match self.op {
            OpKind::Read => Direction::Read,
            _ => Direction::Write,
        }
    }
}

/// The caller's buffer, back from the reactor.
///
/// # Panics
///
/// If the reactor gave back another buffer than it was handed: a broken
/// [`Completion`] contract, not a runtime condition.
fn unbox<B: OwnedBuf>(buf: Box<dyn OwnedBuf>) -> B {
    match buf.into_any().downcast::<B>() {
        Ok(buf) => *buf,
        Err(_) => panic!("the reactor's completion gave back another buffer than it took"),
    }
}

impl<T, B: OwnedBuf> Future for OwnedIo<'_, T, B> {
    type Output = BufResult<usize, B>;

    /// # Panics
    ///
    /// When polled after it returned `Ready`, and when the reactor's
    /// [`Completion`] breaks its contract (loses the operation or gives
    /// back another buffer).
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Idle(mut buf) => {
                    let source = this.io.source();
                    let Some(completion) = source.reactor().completion() else {
                        // Readiness: the reactor has no completion path.
                        let poll = (this.ready_io)(this.io, &mut buf, cx);
                        return match poll {
                            Poll::Ready(result) => Poll::Ready(BufResult(result, buf)),
                            Poll::Pending => {
                                this.state = State::Idle(buf);
                                Poll::Pending
                            }
                        };
                    };
                    if crate::coop::poll_proceed(cx).is_pending() {
                        this.state = State::Idle(buf);
                        return Poll::Pending;
                    }
                    match completion.submit(source.key(), this.op, Box::new(buf)) {
                        Ok(op) => this.state = State::InFlight(completion, op),
                        Err(Refused { error, buf }) => {
                            return Poll::Ready(BufResult(Err(error.into()), unbox(buf)));
                        }
                    }
                }
                State::InFlight(completion, op) => match completion.poll_op(op, cx) {
                    Poll::Pending => {
                        this.io.source().report_wait(this.dir());
                        this.state = State::InFlight(completion, op);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok((result, buf))) => {
                        return Poll::Ready(BufResult(result, unbox(buf)));
                    }
                    Poll::Ready(Err(e)) => {
                        panic!("the reactor lost an owned-buffer operation: {e}")
                    }
                },
                State::Done => panic!("an owned-buffer operation polled after it completed"),
            }
        }
    }
}

impl<T, B> Drop for OwnedIo<'_, T, B> {
    fn drop(&mut self) {
        if let State::InFlight(completion, op) = self.state {
            // The reactor keeps the buffer until the kernel is done with it.
            completion.cancel(op);
        }
    }
}

impl<T, B> fmt::Debug for OwnedIo<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Idle(_) => "idle",
            State::InFlight(..) => "in flight",
            State::Done => "done",
        };
        f.debug_struct("OwnedIo")
            .field("op", &self.op)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
