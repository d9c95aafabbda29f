//! The buffers between an [`Unblock`](super::Unblock) and the pool job that
//! does its blocking reads or writes, and those jobs.
//!
//! Bytes move in chunks (a `Vec<u8>` each, recycled): a read job fills
//! chunks from the object until the pipe is full, at end of file, on an
//! error, or when asked to stop, then returns the object to the pipe and
//! ends; the async side copies out of the front chunk with no lock and
//! restarts a job when it frees a chunk. A write job does the reverse. So a
//! large read or write costs one pool trip per pipe-full, not one per call,
//! and no pool thread is held while the async side is not reading.
//!
//! # Invariant
//!
//! `running` is true from the moment the async side decides to start a job
//! (under the lock) until that job has put the object back (or, dropped
//! unrun, given up its claim); while it is true only the job touches `io`.
//! A chunk is in exactly one place: `free`, `full`, the async side's
//! `current`, or the job's hands.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Waker};

use crate::task::spawn_blocking;

/// A chunk of bytes: `buf[..len]` holds data.
pub(super) struct Chunk {
    pub(super) buf: Vec<u8>,
    pub(super) len: usize,
}

pub(super) struct PipeState<T> {
    /// The object, while no job holds it; `None` also once it is lost (a
    /// job panicked inside it).
    pub(super) io: Option<Box<T>>,
    /// A job is queued or running; see the module's invariant.
    pub(super) running: bool,
    /// Chunks with data, oldest first: read ahead (reading), or waiting to
    /// be written (writing).
    pub(super) full: VecDeque<Chunk>,
    /// Empty chunks to reuse.
    free: Vec<Vec<u8>>,
    /// Chunks in existence, at most `max_chunks`.
    allocated: usize,
    /// Reading: end of file (`Ok`) or the read error, for the async side to
    /// report once. Writing: the write error.
    pub(super) end: Option<io::Result<()>>,
    /// The async side wants the job to stop after its current operation.
    pub(super) stop: bool,
    /// The async side's waker, woken when a chunk moves or a job ends.
    waker: Option<Waker>,
}

pub(super) struct Pipe<T> {
    state: Mutex<PipeState<T>>,
    chunk_size: usize,
    max_chunks: usize,
    /// Starts this pipe's job (a read job or a write job): a plain function
    /// pointer, so that code without `T`'s bounds (`Drop`) can call it.
    start: fn(&Arc<Pipe<T>>) -> io::Result<()>,
    /// Whether the pipe has work for a job that nobody else will start: a
    /// writer's full chunks (see [`job_done`](Pipe::job_done)). A reader's
    /// jobs are started by the reads that want bytes.
    pending: fn(&PipeState<T>) -> bool,
}

/// Starts a read job on `pipe`.
fn start_read<T: Read + Send + 'static>(pipe: &Arc<Pipe<T>>) -> io::Result<()> {
    Pipe::spawn_job(pipe, read_job)
}

/// Starts a write job on `pipe`.
fn start_write<T: Write + Send + 'static>(pipe: &Arc<Pipe<T>>) -> io::Result<()> {
    Pipe::spawn_job(pipe, write_job)
}

fn chunks_to_write<T>(state: &PipeState<T>) -> bool {
    !state.full.is_empty()
}

fn nothing_pending<T>(_: &PipeState<T>) -> bool {
    false
}

impl<T: Read + Send + 'static> Pipe<T> {
    /// A pipe whose job reads from `io`.
    pub(super) fn reader(io: Box<T>, chunk_size: usize, max_chunks: usize) -> Arc<Pipe<T>> {
        Pipe::new(io, chunk_size, max_chunks, start_read, nothing_pending)
    }
}

impl<T: Write + Send + 'static> Pipe<T> {
    /// A pipe whose job writes to `io`.
    pub(super) fn writer(io: Box<T>, chunk_size: usize, max_chunks: usize) -> Arc<Pipe<T>> {
        Pipe::new(io, chunk_size, max_chunks, start_write, chunks_to_write)
    }
}

impl<T> Pipe<T> {
    fn new(
        io: Box<T>,
        chunk_size: usize,
        max_chunks: usize,
        start: fn(&Arc<Pipe<T>>) -> io::Result<()>,
        pending: fn(&PipeState<T>) -> bool,
    ) -> Arc<Pipe<T>> {
        Arc::new(Pipe {
            state: Mutex::new(PipeState {
                io: Some(io),
                running: false,
                full: VecDeque::new(),
                free: Vec::new(),
                allocated: 0,
                end: None,
                stop: false,
                waker: None,
            }),
            chunk_size,
            max_chunks,
            start,
            pending,
        })
    }

    /// Starts the pipe's job if none runs and there is work: `wanted` says
    /// whether there is (checked under the lock, with `end` and `stop`).
    /// Called with the lock held, it releases it.
    pub(super) fn ensure_job(
        self: &Arc<Self>,
        mut state: MutexGuard<'_, PipeState<T>>,
        wanted: bool,
    ) -> io::Result<()> {
        if state.running || !wanted || state.end.is_some() || state.stop {
            return Ok(());
        }
        state.running = true;
        drop(state);
        (self.start)(self)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, PipeState<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `cx`'s waker for the next change.
    pub(super) fn park(state: &mut PipeState<T>, cx: &Context<'_>) {
        if !state
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            state.waker = Some(cx.waker().clone());
        }
    }

    /// Gives back an emptied chunk.
    pub(super) fn recycle(state: &mut PipeState<T>, buf: Vec<u8>) {
        state.free.push(buf);
    }

    /// An empty chunk, reused or new; `None` when all `max_chunks` are in
    /// use.
    fn take_free(&self, state: &mut PipeState<T>) -> Option<Vec<u8>> {
        if let Some(buf) = state.free.pop() {
            return Some(buf);
        }
        if state.allocated < self.max_chunks {
            state.allocated += 1;
            return Some(vec![0; self.chunk_size]);
        }
        None
    }

    /// An empty chunk for the async side (writing), if one is free.
    pub(super) fn take_free_for_writer(&self, state: &mut PipeState<T>) -> Option<Vec<u8>> {
        self.take_free(state)
    }

    /// Ends the job's claim: puts the object back (if the job still has
    /// it), clears `running`, wakes the async side. A job that ran starts
    /// the next one if work is pending: a chunk pushed after the job found
    /// none left, but before it let go here, met `running` and started no
    /// job, and nothing else would (a writer waiting for a free chunk, or
    /// one dropped, would wait or be lost for ever). One that never ran
    /// (the pool refused it) starts none, or a refusing pool would be asked
    /// again without end.
    fn job_done(self: &Arc<Self>, io: Option<Box<T>>, panicked: bool, ran: bool) {
        let mut state = self.lock();
        state.running = false;
        if let Some(io) = io {
            state.io = Some(io);
        }
        if panicked && state.end.is_none() {
            state.end = Some(Err(io::Error::other(
                "a blocking operation of an Unblock panicked",
            )));
        }
        let waker = state.waker.take();
        // Only with the object back: a job without one (lost in a panic)
        // would end at once and start the next, for ever.
        let pending = ran && state.io.is_some() && (self.pending)(&state);
        // A pool that refuses now leaves the chunks for the next write,
        // flush or stop, which start a job again and see its error.
        let _ = self.ensure_job(state, pending);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn wake(state: &mut PipeState<T>) -> Option<Waker> {
        state.waker.take()
    }
}

impl<T: Send + 'static> Pipe<T> {
    /// Starts a job (`running` must have been set under the lock by the
    /// caller). On failure `running` is cleared again and the error
    /// returned.
    fn spawn_job(this: &Arc<Self>, job: fn(&Arc<Pipe<T>>, &mut Claim<T>)) -> io::Result<()> {
        let claim = Claim {
            pipe: Arc::clone(this),
            io: None,
            ran: false,
        };
        let started = spawn_blocking(move || {
            let mut claim = claim;
            claim.ran = true;
            claim.io = claim.pipe.lock().io.take();
            let pipe = Arc::clone(&claim.pipe);
            job(&pipe, &mut claim);
        });
        match started {
            Ok(handle) => {
                handle.detach();
                Ok(())
            }
            // The closure, and so the claim, was dropped: `running` is
            // already cleared.
            Err(e) => Err(e.into()),
        }
    }
}

/// A job's hold on the pipe's object. Dropped (normally, while unwinding
/// from a panic in the object, or unrun by a pool that shut down), it gives
/// the object back and ends the job's claim.
pub(super) struct Claim<T> {
    pipe: Arc<Pipe<T>>,
    io: Option<Box<T>>,
    /// The pool ran the job (it was not dropped unrun).
    ran: bool,
}

impl<T> Drop for Claim<T> {
    fn drop(&mut self) {
        self.pipe
            .job_done(self.io.take(), std::thread::panicking(), self.ran);
    }
}

/// The read job: fills free chunks from the object until the pipe is full,
/// end of file, an error, or a stop request.
pub(super) fn read_job<T: Read>(pipe: &Arc<Pipe<T>>, claim: &mut Claim<T>) {
    let Some(io) = claim.io.as_mut() else { return };
    loop {
        let mut buf = {
            let mut state = pipe.lock();
            if state.stop || state.end.is_some() {
                return;
            }
            match pipe.take_free(&mut state) {
                Some(buf) => buf,
                None => return,
            }
        };
        let read = loop {
            match io.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        let waker = {
            let mut state = pipe.lock();
            match read {
                Ok(0) => {
                    state.free.push(buf);
                    state.end = Some(Ok(()));
                }
                Ok(len) => state.full.push_back(Chunk { buf, len }),
                Err(e) => {
                    state.free.push(buf);
                    state.end = Some(Err(e));
                }
            }
            Pipe::wake(&mut state)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The write job: writes the full chunks, oldest first, until none is left
/// or a write fails (the rest is then dropped and the error kept).
pub(super) fn write_job<T: Write>(pipe: &Arc<Pipe<T>>, claim: &mut Claim<T>) {
    let Some(io) = claim.io.as_mut() else { return };
    loop {
        let Some(chunk) = pipe.lock().full.pop_front() else {
            return;
        };
        let written = io.write_all(&chunk.buf[..chunk.len]);
        let waker = {
            let mut state = pipe.lock();
            state.free.push(chunk.buf);
            if let Err(e) = written {
                for chunk in std::mem::take(&mut state.full) {
                    state.free.push(chunk.buf);
                }
                state.end = Some(Err(e));
            }
            Pipe::wake(&mut state)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
