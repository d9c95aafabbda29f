//! [`Unblock`]: a blocking I/O object (a `std::fs::File`, stdin, a pipe, a
//! serial port) as a futures-io [`AsyncRead`] / [`AsyncWrite`] /
//! [`AsyncSeek`], its blocking calls made on the runtime's
//! [blocking pool](crate::task::blocking).
//!
//! Use it for objects the reactor cannot wait on (regular files are
//! refused by every reactor, design Decision 4) or that have no
//! non-blocking mode. Sockets and pipes that do should use
//! [`Async`](crate::io::Async) instead: it waits in the reactor and takes
//! no pool thread. [`fs::File`](crate::fs::File) is an `Unblock` around a
//! file.
//!
//! # Batching
//!
//! Bytes go through a pipe of chunks between the task and the pool
//! (256 KiB each, 4 by default, [`with_capacity`](Unblock::with_capacity)
//! to change it): reading, a pool job reads ahead until the pipe is full and
//! the task copies out of it; writing, the task copies into it and a pool
//! job writes full chunks. So a large transfer costs one pool trip per
//! pipe-full, whatever the size of each `read` or `write` call, and the
//! pool and the task work in parallel. No pool thread is held while the
//! pipe is full and the task is not reading.
//!
//! This is the shape of smol's `blocking::Unblock`; tokio's `File` instead
//! makes one pool trip per call, each up to 2 MiB.
//!
//! # Switching direction, seeking
//!
//! Reading reads ahead, so the object's own position runs ahead of what
//! the task has read. A [seek](AsyncSeek::poll_seek) stops the read-ahead,
//! drops the unread bytes and counts them in a
//! [`SeekFrom::Current`] offset, so relative seeks
//! land where the task expects. A write after a read (on a `Read + Write`
//! object that cannot seek) drops the unread bytes. A read, seek or
//! [`flush`](AsyncWrite::poll_flush) after writes first waits until every
//! buffered byte reached the object.
//!
//! **Flush before dropping**: dropping an `Unblock` with written bytes
//! still buffered hands them to one last pool job, but nobody sees its
//! errors.
//!
//! # Examples
//!
//! ```
//! use baton_protocol::unblock::Unblock;
//! use futures_lite::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
//! use std::io::SeekFrom;
//!
//! # futures_lite::future::block_on(async {
//! let dir = std::env::temp_dir().join(format!("unblock-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let mut file = Unblock::new(std::fs::File::options().read(true).write(true).create(true).truncate(true).open(dir.join("f"))?);
//! file.write_all(b"hello, unblock").await?;
//! file.seek(SeekFrom::Start(7)).await?;
//! let mut rest = String::new();
//! file.read_to_string(&mut rest).await?;
//! assert_eq!(rest, "unblock");
//! # std::fs::remove_dir_all(&dir)?;
//! # std::io::Result::Ok(()) }).unwrap();
//! ```

mod pipe;

use std::any::Any;
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};

use crate::coop;
use crate::task::{BlockingHandle, spawn_blocking};
use crate::{Error, task};
use pipe::{Chunk, Pipe};

/// The size of one chunk of the pipe.
pub const DEFAULT_CHUNK: usize = 256 * 1024;

/// The pipe's default capacity: [`DEFAULT_CHUNK`] × 4.
pub const DEFAULT_CAPACITY: usize = 4 * DEFAULT_CHUNK;

/// A blocking I/O object made async: see the [module documentation](self).
///
/// `T` is `Read` for [`AsyncRead`], `Write` for [`AsyncWrite`], `Seek` for
/// [`AsyncSeek`]; always `Send + 'static`, since it moves to pool threads.
pub struct Unblock<T> {
    state: State<T>,
    chunk_size: usize,
    max_chunks: usize,
}

enum State<T> {
    /// No job has the object; `None` once it was closed or lost.
    Idle(Option<Box<T>>),
    /// A job reads ahead into the pipe; the chunk being copied out.
    Reading(Arc<Pipe<T>>, Option<(Chunk, usize)>),
    /// The task writes into the pipe; the chunk being filled.
    Writing(Arc<Pipe<T>>, Option<Chunk>),
    /// A single operation on the pool (a seek, a flush, `with_mut`); it
    /// gives the object back.
    Op(Op, BlockingHandle<Box<T>>),
}

/// Which operation runs, and where its result goes.
enum Op {
    Seek(SeekFrom, Arc<Mutex<Option<io::Result<u64>>>>),
    Flush(Arc<Mutex<Option<io::Result<()>>>>),
    /// The output goes to the slot `with_mut` holds.
    WithMut,
}

/// An operation on the object, run on the pool.
type OpFn<T> = Box<dyn FnOnce(&mut T) + Send>;

/// The error for an object that was closed, or lost in a panicking job.
fn closed() -> io::Error {
    Error::Closed.into()
}

impl<T> Unblock<T> {
    /// Wraps `io`, with the default pipe capacity
    /// ([`DEFAULT_CAPACITY`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let stdout = baton_protocol::unblock::Unblock::new(std::io::stdout());
    /// # drop(stdout);
    /// ```
    pub fn new(io: T) -> Unblock<T> {
        Unblock::with_capacity(DEFAULT_CAPACITY, io)
    }

    /// Wraps `io` with a pipe of about `capacity` bytes (at least one
    /// byte): the most that is read ahead, or buffered before writing.
    ///
    /// # Examples
    ///
    /// ```
    /// let stdin = baton_protocol::unblock::Unblock::with_capacity(64 * 1024, std::io::stdin());
    /// # drop(stdin);
    /// ```
    pub fn with_capacity(capacity: usize, io: T) -> Unblock<T> {
        let chunk_size = capacity.clamp(1, DEFAULT_CHUNK);
        Unblock {
            state: State::Idle(Some(Box::new(io))),
            chunk_size,
            max_chunks: (capacity / chunk_size).max(1),
        }
    }
}

impl<T: Send + 'static> Unblock<T> {
    /// Runs `op` on the object, on the blocking pool, once every running
    /// transfer has stopped (buffered writes written, read-ahead dropped).
    /// Dropping the read-ahead does not move the object's position back
    /// over it: for an object that can seek, seek to `Current(0)` first to
    /// make the position the task's.
    ///
    /// # Errors
    ///
    /// The error of a transfer that was stopping (a failed write); an
    /// `io::Error` carrying [`Error::Closed`] if the object was closed or
    /// lost in a panic; the pool's error ([`Error::Shutdown`],
    /// [`Error::Cancelled`]) if `op` could not run, or [`Error::Panicked`]
    /// if it panicked (the object is then lost).
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_protocol::unblock::Unblock;
    ///
    /// # futures_lite::future::block_on(async {
    /// let mut file = Unblock::new(std::fs::File::open("Cargo.toml")?);
    /// let len = file.with_mut(|f| f.metadata().map(|m| m.len())).await??;
    /// assert!(len > 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn with_mut<R, F>(&mut self, op: F) -> io::Result<R>
    where
        F: FnOnce(&mut T) -> R + Send + 'static,
        R: Send + 'static,
    {
        let slot = Arc::new(Mutex::new(None::<Box<dyn Any + Send>>));
        let out = Arc::clone(&slot);
        let f: OpFn<T> = Box::new(move |io: &mut T| {
            let result = op(io);
            *out.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(result));
        });
        let mut op = Some((f, Op::WithMut));
        std::future::poll_fn(|cx| self.poll_op(cx, &mut op)).await?;
        let output = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        match output.map(|o| o.downcast::<R>()) {
            Some(Ok(output)) => Ok(*output),
            _ => Err(Error::InvalidState("with_mut finished without an output").into()),
        }
    }

    /// Stops every transfer and gives the object back.
    ///
    /// # Errors
    ///
    /// As [`with_mut`](Unblock::with_mut), except that it runs nothing
    /// on the pool.
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_protocol::unblock::Unblock;
    ///
    /// # futures_lite::future::block_on(async {
    /// let file = Unblock::new(std::fs::File::open("Cargo.toml")?);
    /// let file: std::fs::File = file.into_inner().await?;
    /// # drop(file);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn into_inner(mut self) -> io::Result<T> {
        std::future::poll_fn(|cx| self.poll_stop(cx).map_ok(drop)).await?;
        match &mut self.state {
            State::Idle(io) => io.take().map(|io| *io).ok_or_else(closed),
            _ => Err(closed()),
        }
    }

    /// Starts `op` once idle, then waits for it. Called again after
    /// `Pending`, `op` is `None`: the job started is ours.
    fn poll_op(
        &mut self,
        cx: &mut Context<'_>,
        op: &mut Option<(OpFn<T>, Op)>,
    ) -> Poll<io::Result<()>> {
        loop {
            match &mut self.state {
                State::Op(_, handle) => {
                    let outcome = ready!(Pin::new(handle).poll(cx));
                    match outcome {
                        Ok(io) => self.state = State::Idle(Some(io)),
                        Err(e) => {
                            self.state = State::Idle(None);
                            return Poll::Ready(Err(e.into()));
                        }
                    }
                    if op.is_none() {
                        return Poll::Ready(Ok(()));
                    }
                }
                State::Idle(io) => {
                    let Some((f, kind)) = op.take() else {
                        return Poll::Ready(Ok(()));
                    };
                    let mut io = io.take().ok_or_else(closed)?;
                    let handle = spawn_blocking(move || {
                        f(&mut io);
                        io
                    })?;
                    self.state = State::Op(kind, handle);
                }
                State::Reading(..) | State::Writing(..) => {
                    ready!(self.poll_stop(cx))?;
                }
            }
        }
    }

    /// Stops whatever runs: a read-ahead (dropping the unread bytes), a
    /// write (waiting until every buffered byte is written), an operation
    /// (waiting for it). Returns, once idle, how many read-ahead bytes were
    /// dropped.
    fn poll_stop(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        match &mut self.state {
            State::Idle(_) => Poll::Ready(Ok(0)),
            State::Op(_, handle) => {
                let outcome = ready!(Pin::new(handle).poll(cx));
                match outcome {
                    Ok(io) => {
                        self.state = State::Idle(Some(io));
                        Poll::Ready(Ok(0))
                    }
                    Err(e) => {
                        self.state = State::Idle(None);
                        Poll::Ready(Err(e.into()))
                    }
                }
            }
            State::Reading(pipe, current) => {
                let mut state = pipe.lock();
                state.stop = true;
                if state.running {
                    Pipe::park(&mut state, cx);
                    return Poll::Pending;
                }
                let mut unread: u64 = state.full.iter().map(|c| c.len as u64).sum();
                if let Some((chunk, pos)) = current {
                    unread += (chunk.len - *pos) as u64;
                }
                let io = state.io.take();
                let end = state.end.take();
                drop(state);
                self.state = State::Idle(io);
                // A read error nobody saw yet does not fail the stop: the
                // next read tries again.
                drop(end);
                Poll::Ready(Ok(unread))
            }
            State::Writing(pipe, current) => {
                let mut state = pipe.lock();
                if let Some(chunk) = current.take() {
                    if chunk.len > 0 {
                        state.full.push_back(chunk);
                    } else {
                        Pipe::recycle(&mut state, chunk.buf);
                    }
                }
                if !state.running && !state.full.is_empty() && state.end.is_none() {
                    let pipe = Arc::clone(pipe);
                    pipe.ensure_job(state, true)?;
                    return self.poll_stop(cx);
                }
                if state.running {
                    Pipe::park(&mut state, cx);
                    return Poll::Pending;
                }
                let io = state.io.take();
                let end = state.end.take();
                drop(state);
                self.state = State::Idle(io);
                Poll::Ready(end.unwrap_or(Ok(())).map(|()| 0))
            }
        }
    }
}

impl<T: Read + Send + 'static> AsyncRead for Unblock<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(coop::poll_proceed(cx));
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Reading(pipe, current) => {
                    if let Some((chunk, pos)) = current
                        && *pos < chunk.len
                    {
                        let n = buf.len().min(chunk.len - *pos);
                        buf[..n].copy_from_slice(&chunk.buf[*pos..*pos + n]);
                        *pos += n;
                        return Poll::Ready(Ok(n));
                    }
                    let mut state = pipe.lock();
                    if let Some((chunk, _)) = current.take() {
                        Pipe::recycle(&mut state, chunk.buf);
                    }
                    let next = state.full.pop_front();
                    let got = next.is_some();
                    if let Some(chunk) = next {
                        *current = Some((chunk, 0));
                    } else if let Some(end) = state.end.take() {
                        // End of file (or an error) once; the next read
                        // reads again, as a file may have grown.
                        return Poll::Ready(end.map(|()| 0));
                    }
                    if !got && state.running {
                        Pipe::park(&mut state, cx);
                        return Poll::Pending;
                    }
                    // No job: start one, to refill what was just freed (or
                    // the empty pipe).
                    let pipe = Arc::clone(pipe);
                    pipe.ensure_job(state, true)?;
                }
                State::Idle(io) => {
                    let io = io.take().ok_or_else(closed)?;
                    let pipe = Pipe::reader(io, this.chunk_size, this.max_chunks);
                    this.state = State::Reading(pipe, None);
                }
                State::Writing(..) | State::Op(..) => {
                    ready!(this.poll_stop(cx))?;
                }
            }
        }
    }
}

impl<T: Write + Send + 'static> AsyncWrite for Unblock<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(coop::poll_proceed(cx));
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Writing(pipe, current) => {
                    if let Some(chunk) = current
                        && chunk.len < chunk.buf.len()
                    {
                        let n = buf.len().min(chunk.buf.len() - chunk.len);
                        chunk.buf[chunk.len..chunk.len + n].copy_from_slice(&buf[..n]);
                        chunk.len += n;
                        if chunk.len == chunk.buf.len() {
                            let full = current.take();
                            let mut state = pipe.lock();
                            state.full.extend(full);
                            pipe.ensure_job(state, true)?;
                        }
                        return Poll::Ready(Ok(n));
                    }
                    let mut state = pipe.lock();
                    if let Some(Err(e)) = state.end.take() {
                        return Poll::Ready(Err(e));
                    }
                    match pipe.take_free_for_writer(&mut state) {
                        Some(buf) => *current = Some(Chunk { buf, len: 0 }),
                        None => {
                            Pipe::park(&mut state, cx);
                            return Poll::Pending;
                        }
                    }
                }
                State::Idle(io) => {
                    let io = io.take().ok_or_else(closed)?;
                    let pipe = Pipe::writer(io, this.chunk_size, this.max_chunks);
                    this.state = State::Writing(pipe, None);
                }
                State::Reading(..) | State::Op(..) => {
                    ready!(this.poll_stop(cx))?;
                }
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Op(Op::Flush(result), handle) => {
                    let result = Arc::clone(result);
                    let outcome = ready!(Pin::new(handle).poll(cx));
                    let flushed = result.lock().unwrap_or_else(PoisonError::into_inner).take();
                    return Poll::Ready(match outcome {
                        Ok(io) => {
                            this.state = State::Idle(Some(io));
                            flushed.unwrap_or_else(|| Err(closed()))
                        }
                        Err(e) => {
                            this.state = State::Idle(None);
                            Err(e.into())
                        }
                    });
                }
                State::Idle(io) => {
                    let mut io = io.take().ok_or_else(closed)?;
                    let result = Arc::new(Mutex::new(None));
                    let out = Arc::clone(&result);
                    let handle = task::spawn_blocking(move || {
                        *out.lock().unwrap_or_else(PoisonError::into_inner) = Some(io.flush());
                        io
                    })?;
                    this.state = State::Op(Op::Flush(result), handle);
                }
                State::Reading(..) | State::Writing(..) | State::Op(..) => {
                    ready!(this.poll_stop(cx))?;
                }
            }
        }
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let State::Idle(None) = self.state {
            return Poll::Ready(Ok(()));
        }
        ready!(self.as_mut().poll_flush(cx))?;
        self.state = State::Idle(None);
        Poll::Ready(Ok(()))
    }
}

impl<T: Seek + Send + 'static> AsyncSeek for Unblock<T> {
    fn poll_seek(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Op(Op::Seek(asked, result), handle) => {
                    let (asked, result) = (*asked, Arc::clone(result));
                    let outcome = ready!(Pin::new(handle).poll(cx));
                    this.state = State::Idle(outcome.ok());
                    let seeked = result.lock().unwrap_or_else(PoisonError::into_inner).take();
                    let seeked = seeked.unwrap_or_else(|| Err(closed()));
                    // A seek left over from a call that was not polled to
                    // its end answers that call only.
                    if asked == pos {
                        return Poll::Ready(seeked);
                    }
                }
                State::Idle(_) => {
                    this.start_seek(pos, 0)?;
                }
                State::Reading(..) => {
                    let unread = ready!(this.poll_stop(cx))?;
                    this.start_seek(pos, unread)?;
                }
                State::Writing(..) | State::Op(..) => {
                    ready!(this.poll_stop(cx))?;
                }
            }
        }
    }
}

impl<T: Seek + Send + 'static> Unblock<T> {
    /// Starts the seek the caller asked for (`pos`), correcting a relative
    /// one by the `unread` read-ahead bytes just dropped.
    fn start_seek(&mut self, pos: SeekFrom, unread: u64) -> io::Result<()> {
        let State::Idle(io) = &mut self.state else {
            return Err(closed());
        };
        let mut io = io.take().ok_or_else(closed)?;
        let target = match pos {
            SeekFrom::Current(offset) if unread > 0 => {
                let unread = i64::try_from(unread).map_err(|_| io::ErrorKind::InvalidInput)?;
                SeekFrom::Current(
                    offset
                        .checked_sub(unread)
                        .ok_or(io::ErrorKind::InvalidInput)?,
                )
            }
            other => other,
        };
        let result = Arc::new(Mutex::new(None));
        let out = Arc::clone(&result);
        let handle = spawn_blocking(move || {
            *out.lock().unwrap_or_else(PoisonError::into_inner) = Some(io.seek(target));
            io
        })?;
        self.state = State::Op(Op::Seek(pos, result), handle);
        Ok(())
    }
}

impl<T> Drop for Unblock<T> {
    fn drop(&mut self) {
        // Written bytes still buffered go to the object in one last job
        // (which the pipe's claim handles like any other); nobody is left
        // to see its errors.
        if let State::Writing(pipe, current) = &mut self.state {
            let mut state = pipe.lock();
            if let Some(chunk) = current.take().filter(|c| c.len > 0) {
                state.full.push_back(chunk);
            }
            let wanted = !state.full.is_empty();
            let _ = pipe.ensure_job(state, wanted);
        }
    }
}

impl<T> fmt::Debug for Unblock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(Some(_)) => "idle",
            State::Idle(None) => "closed",
            State::Reading(..) => "reading",
            State::Writing(..) => "writing",
            State::Op(..) => "busy",
        };
        f.debug_struct("Unblock")
            .field("state", &state)
            .field("capacity", &(self.chunk_size * self.max_chunks))
            .finish()
    }
}
