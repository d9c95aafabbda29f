//! `Async<T>`: any non-blocking file descriptor, driven by the current
//! runtime's reactor.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use socket2::SockRef;

use super::source::Source;
use crate::Direction;

/// An I/O handle — socket, pipe, terminal, anything with a file descriptor
/// that `epoll` or `poll(2)` can watch — made asynchronous.
///
/// `Async<T>` registers `T`'s file descriptor with the reactor of the
/// runtime entered on the thread, for both directions, and turns every
/// operation that would block into a wait on that reactor. Write the
/// operation as usual against `T`, pass it to [`read_with`](Async::read_with)
/// or [`write_with`](Async::write_with), and await it; or use the
/// `futures_io` [`AsyncRead`](futures_io::AsyncRead) and
/// [`AsyncWrite`](futures_io::AsyncWrite) implementations when `T` is
/// [`Read`](std::io::Read) / [`Write`](std::io::Write).
///
/// # Readiness and operations
///
/// Every operation follows the protocol of [`Reactor`](crate::Reactor): it
/// waits until the direction is ready, runs, and on `WouldBlock` clears that
/// readiness (with the tick it acted on) and waits again; `Interrupted` is
/// retried. Each poll of an operation spends one unit of the
/// [cooperative budget](crate::coop) and asks the reactor's
/// [fault point](crate::Reactor::io_fault) once, so a fault-injecting
/// decorator can impose `WouldBlock`, `Interrupted` or a short length (the
/// latter only on the buffer operations of the `futures_io` traits).
///
/// # Several tasks
///
/// Any number of tasks may run operations on one `&Async<T>` at once: a
/// reactor wakes every waiter of a direction (design Decision 1). Two tasks
/// calling [`poll_readable`](Async::poll_readable) (or
/// [`readable`](Async::readable)) at once take turns: each readiness is
/// handed out once, as in async-io.
///
/// # Closing and dropping
///
/// - [`close`](Async::close) closes the source *through the protocol*:
///   waiters wake with [`Error::Closed`](crate::Error::Closed), and every
///   later operation fails with it (as an `io::Error` that converts back).
///   The file descriptor stays open until the `Async` is dropped.
/// - Dropping an `Async` deregisters the file descriptor, then drops `T`,
///   which closes it exactly once.
/// - [`into_inner`](Async::into_inner) deregisters and hands `T` back, open
///   and still in non-blocking mode.
/// - `AsyncWrite::poll_close` flushes; it cannot know how to half-close an
///   arbitrary `T`. The [`net`](crate::net) stream types shut down their
///   write half instead.
///
/// # Examples
///
/// ```no_run
/// use std::os::unix::net::UnixStream;
/// use baton_protocol::io::Async;
///
/// # async fn demo() -> std::io::Result<()> {
/// let (a, b) = UnixStream::pair()?;
/// let (a, b) = (Async::new(a)?, Async::new(b)?);
/// b.write_with(|s| std::io::Write::write(&mut &*s, b"ping")).await?;
/// let mut buf = [0; 4];
/// let n = a.read_with(|s| std::io::Read::read(&mut &*s, &mut buf)).await?;
/// assert_eq!(&buf[..n], b"ping");
/// # Ok(()) }
/// ```
pub struct Async<T> {
    // Declared before `io`: fields drop in order, so the registration is
    // removed before `T` closes the file descriptor.
    source: Source,
    io: T,
}

// `T` is never pinned: every operation reaches it through `&T` or `&mut T`.
impl<T> Unpin for Async<T> {}

impl<T: AsFd> Async<T> {
    /// Puts `io` in non-blocking mode and registers it, for both directions,
    /// with the reactor of the runtime entered on this thread.
    ///
    /// # Errors
    ///
    /// Outside a runtime, an `io::Error` carrying
    /// [`Error::NoRuntime`](crate::Error::NoRuntime); a regular file,
    /// [`Error::Unsupported`](crate::Error::Unsupported) (design Decision 4);
    /// an fd already registered, [`Error::AlreadyRegistered`](crate::Error::AlreadyRegistered);
    /// the error of `fcntl(O_NONBLOCK)` otherwise. `io` is dropped (closed)
    /// on error. Each converts back with `Error::from`.
    pub fn new(io: T) -> io::Result<Async<T>> {
        SockRef::from(&io).set_nonblocking(true)?;
        Async::new_nonblocking(io)
    }

    /// Registers `io` like [`new`](Async::new), without setting
    /// non-blocking mode: for handles created non-blocking
    /// (`SOCK_NONBLOCK`, `O_NONBLOCK`), it saves two system calls.
    ///
    /// If `io` is in fact blocking, operations block the thread: a logic
    /// error, not a memory-safety one.
    ///
    /// # Errors
    ///
    /// As [`new`](Async::new), without the `fcntl` case.
    pub fn new_nonblocking(io: T) -> io::Result<Async<T>> {
        let source = Source::register(io.as_fd().as_raw_fd())?;
        Ok(Async { source, io })
    }
}

impl<T> Async<T> {
    /// The I/O handle.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The I/O handle, mutably.
    ///
    /// Replacing or closing the file descriptor through it leaves the
    /// registration on a dead (or reused) number: operations then fail or
    /// wait until cancelled (design Decision 7), and the reactor's keys keep
    /// them from reaching any other source. Don't.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// The reactor the handle is registered with: the listeners' accept
    /// back-off takes its timer from it.
    pub(crate) fn reactor(&self) -> &std::sync::Arc<dyn crate::Reactor> {
        self.source.reactor()
    }

    /// The registration, for the owned-buffer operations.
    pub(crate) fn source(&self) -> &Source {
        &self.source
    }

    /// Deregisters the handle and gives it back, open and still in
    /// non-blocking mode.
    ///
    /// # Implementation notes
    ///
    /// A deregistration the reactor refuses (it already lost the source, or
    /// the OS failed) is not reported: the handle is returned either way,
    /// and the reactor never delivers events for a deregistered key.
    pub fn into_inner(self) -> T {
        let Async { source, io } = self;
        drop(source);
        io
    }

    /// Closes the source through the protocol (design Decision 7): every
    /// task waiting on it wakes with [`Error::Closed`](crate::Error::Closed),
    /// every later operation fails with it, and the reactor stops watching
    /// the file descriptor. The descriptor itself closes when the `Async` is
    /// dropped. Closing twice is `Ok`.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`](crate::Error::Shutdown) after the reactor shut
    /// down, as an `io::Error`.
    pub fn close(&self) -> io::Result<()> {
        self.source.close()
    }

    /// Waits until the handle is readable: a readiness this handle has not
    /// reported through `readable` / `poll_readable` before.
    ///
    /// # Errors
    ///
    /// As [`poll_readable`](Async::poll_readable).
    pub fn readable(&self) -> Readable<'_, T> {
        Readable { io: self }
    }

    /// Waits until the handle is writable; see [`readable`](Async::readable).
    ///
    /// # Errors
    ///
    /// As [`poll_writable`](Async::poll_writable).
    pub fn writable(&self) -> Writable<'_, T> {
        Writable { io: self }
    }

    /// Polls for read readiness.
    ///
    /// # Return value
    ///
    /// `Ready(Ok(()))` when the reactor reports the handle readable with a
    /// readiness not returned by an earlier call: `readable().await`, an
    /// attempt that finds nothing (`WouldBlock`), then `readable().await`
    /// again waits for a new readiness instead of spinning. (The reactor
    /// reports one again, promptly, if data is still there.) `Pending` with
    /// the waker stored in the reactor, or woken at once when the
    /// cooperative budget is spent.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`](crate::Error::Closed) after [`close`](Async::close),
    /// [`Error::Shutdown`](crate::Error::Shutdown) after the reactor shut
    /// down, as `io::Error`s.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_fresh(Direction::Read, cx)
    }

    /// Polls for write readiness; see [`poll_readable`](Async::poll_readable).
    ///
    /// # Errors
    ///
    /// As [`poll_readable`](Async::poll_readable).
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_fresh(Direction::Write, cx)
    }

    /// Runs a read-side operation (read, receive, accept, …) on `&T` until
    /// it does not return `WouldBlock`, waiting for read readiness in
    /// between.
    ///
    /// # Errors
    ///
    /// The operation's own error; [`Error::Closed`](crate::Error::Closed) or
    /// [`Error::Shutdown`](crate::Error::Shutdown) as `io::Error`s.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::net::TcpListener;
    /// use baton_protocol::io::Async;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let listener = Async::new(TcpListener::bind("127.0.0.1:0")?)?;
    /// let (stream, peer) = listener.read_with(|l| l.accept()).await?;
    /// # let _ = (stream, peer);
    /// # Ok(()) }
    /// ```
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_read_with(cx, |io, _| op(io))).await
    }

    /// [`read_with`](Async::read_with) with `&mut T`.
    ///
    /// # Errors
    ///
    /// As [`read_with`](Async::read_with).
    pub async fn read_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_read_with_mut(cx, |io, _| op(io))).await
    }

    /// Runs a write-side operation (write, send, …) on `&T` until it does not
    /// return `WouldBlock`, waiting for write readiness in between.
    ///
    /// # Errors
    ///
    /// As [`read_with`](Async::read_with).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::net::UdpSocket;
    /// use baton_protocol::io::Async;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let socket = Async::new(UdpSocket::bind("127.0.0.1:0")?)?;
    /// socket.get_ref().connect("127.0.0.1:9000")?;
    /// let sent = socket.write_with(|s| s.send(b"hello")).await?;
    /// # let _ = sent;
    /// # Ok(()) }
    /// ```
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_write_with(cx, |io, _| op(io))).await
    }

    /// [`write_with`](Async::write_with) with `&mut T`.
    ///
    /// # Errors
    ///
    /// As [`read_with`](Async::read_with).
    pub async fn write_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_write_with_mut(cx, |io, _| op(io))).await
    }

    /// One poll of a read-side operation; `op` also gets the byte limit of
    /// an injected short read.
    pub(crate) fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T, Option<usize>) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.source
            .poll_io(Direction::Read, cx, |limit| op(&self.io, limit))
    }

    /// One poll of a write-side operation; see
    /// [`poll_read_with`](Async::poll_read_with).
    pub(crate) fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T, Option<usize>) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.source
            .poll_io(Direction::Write, cx, |limit| op(&self.io, limit))
    }

    /// One poll of a read from a *stream* socket into buffers of `len` bytes
    /// in all: a read that returns less than it could have (but not the end
    /// of stream) proves the socket drained, so its readiness is cleared at
    /// once, as tokio does, sparing the next read a syscall that could only
    /// say `WouldBlock`. Only for stream sockets: a datagram, or a line from
    /// a terminal, is short without draining anything.
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut(&T, Option<usize>) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.source.poll_io_draining(
            Direction::Read,
            cx,
            |limit| op(&self.io, limit),
            |&n, limit| n > 0 && n < limit.map_or(len, |l| l.min(len)),
        )
    }

    /// [`poll_read_with`](Async::poll_read_with) with `&mut T`.
    pub(crate) fn poll_read_with_mut<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut T, Option<usize>) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let Async { source, io } = self;
        source.poll_io(Direction::Read, cx, |limit| op(io, limit))
    }

    /// [`poll_write_with`](Async::poll_write_with) with `&mut T`.
    pub(crate) fn poll_write_with_mut<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut T, Option<usize>) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let Async { source, io } = self;
        source.poll_io(Direction::Write, cx, |limit| op(io, limit))
    }
}

impl<T: AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl<T: AsRawFd> AsRawFd for Async<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl<T> AsRef<T> for Async<T> {
    fn as_ref(&self) -> &T {
        &self.io
    }
}

impl<T: fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async")
            .field("io", &self.io)
            .finish_non_exhaustive()
    }
}

/// The future of [`Async::readable`].
#[must_use = "futures do nothing unless awaited"]
pub struct Readable<'a, T> {
    io: &'a Async<T>,
}

impl<T> Future for Readable<'_, T> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.io.poll_readable(cx)
    }
}

impl<T> fmt::Debug for Readable<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readable").finish_non_exhaustive()
    }
}

/// The future of [`Async::writable`].
#[must_use = "futures do nothing unless awaited"]
pub struct Writable<'a, T> {
    io: &'a Async<T>,
}

impl<T> Future for Writable<'_, T> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.io.poll_writable(cx)
    }
}

impl<T> fmt::Debug for Writable<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writable").finish_non_exhaustive()
    }
}
