//! [`read_dir`]: a directory's entries, fetched in batches.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use super::run;
use crate::task::{BlockingHandle, spawn_blocking};

/// Entries fetched per pool trip.
const BATCH: usize = 32;

/// The entries of the directory `path`: [`std::fs::read_dir`], fetched
/// 32 at a time on the blocking pool. `.` and `..` are
/// not listed; the order is the file system's.
///
/// # Errors
///
/// `NotFound` if `path` is missing, `NotADirectory` if it is a file, any
/// other error of `opendir`; the pool's error if it could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let mut entries = baton_protocol::fs::read_dir(".").await?;
/// let mut names = Vec::new();
/// while let Some(entry) = entries.next_entry().await? {
///     names.push(entry.file_name());
/// }
/// assert!(names.iter().any(|n| n == "Cargo.toml"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let dir = run(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        state: State::Idle(Some(dir)),
        batch: VecDeque::new(),
    })
}

/// A directory being listed; see [`read_dir`]. Also a
/// `futures_core::Stream` of `io::Result<DirEntry>`.
pub struct ReadDir {
    state: State,
    /// Entries fetched and not yet handed out.
    batch: VecDeque<io::Result<DirEntry>>,
}

enum State {
    /// No fetch runs; `None` once the listing is exhausted.
    Idle(Option<std::fs::ReadDir>),
    /// A fetch runs on the pool.
    Fetching(BlockingHandle<(Option<std::fs::ReadDir>, VecDeque<io::Result<DirEntry>>)>),
}

impl ReadDir {
    /// The next entry; `None` once every entry was listed.
    ///
    /// # Errors
    ///
    /// An error reading the directory (the listing goes on after it); the
    /// pool's error if it could not run.
    ///
    /// # Examples
    ///
    /// See [`read_dir`].
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        std::future::poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry, as [`next_entry`](ReadDir::next_entry).
    ///
    /// # Return value
    ///
    /// `Ready(Ok(Some(entry)))`, `Ready(Ok(None))` at the end,
    /// `Ready(Err(e))` for a failed entry or fetch; `Pending` while a batch
    /// is fetched, with `cx`'s waker woken when it arrives.
    ///
    /// # Errors
    ///
    /// As [`next_entry`](ReadDir::next_entry).
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            if let Some(entry) = self.batch.pop_front() {
                return Poll::Ready(entry.map(Some));
            }
            match &mut self.state {
                State::Idle(None) => return Poll::Ready(Ok(None)),
                State::Idle(dir) => {
                    let Some(mut dir) = dir.take() else {
                        return Poll::Ready(Ok(None));
                    };
                    let fetch = spawn_blocking(move || {
                        let batch: VecDeque<_> = dir
                            .by_ref()
                            .take(BATCH)
                            .map(|entry| entry.map(|e| DirEntry(Arc::new(e))))
                            .collect();
                        let more = batch.len() == BATCH;
                        (more.then_some(dir), batch)
                    })?;
                    self.state = State::Fetching(fetch);
                }
                State::Fetching(fetch) => {
                    let (dir, batch) = ready!(Pin::new(fetch).poll(cx))?;
                    self.state = State::Idle(dir);
                    self.batch = batch;
                }
            }
        }
    }
}

impl futures_core::Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("buffered", &self.batch.len())
            .finish_non_exhaustive()
    }
}

/// An entry of a directory listed by [`read_dir`].
#[derive(Clone)]
pub struct DirEntry(Arc<std::fs::DirEntry>);

impl DirEntry {
    /// The entry's full path: the listed directory joined with its name.
    pub fn path(&self) -> PathBuf {
        self.0.path()
    }

    /// The entry's name, without the directory.
    pub fn file_name(&self) -> OsString {
        self.0.file_name()
    }

    /// The entry's metadata, not following a symbolic link:
    /// [`std::fs::DirEntry::metadata`].
    ///
    /// # Errors
    ///
    /// `NotFound` if the entry was removed since it was listed, any other
    /// error of `stat`; the pool's error if it could not run.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let mut entries = baton_protocol::fs::read_dir(".").await?;
    /// while let Some(entry) = entries.next_entry().await? {
    ///     if entry.file_name() == "Cargo.toml" {
    ///         assert!(entry.metadata().await?.is_file());
    ///         assert!(entry.file_type().await?.is_file());
    ///     }
    /// }
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn metadata(&self) -> io::Result<std::fs::Metadata> {
        let entry = Arc::clone(&self.0);
        run(move || entry.metadata()).await
    }

    /// The entry's type, not following a symbolic link:
    /// [`std::fs::DirEntry::file_type`] (often known from the listing, else
    /// a `stat` on the pool).
    ///
    /// # Errors
    ///
    /// As [`metadata`](DirEntry::metadata).
    ///
    /// # Examples
    ///
    /// See [`metadata`](DirEntry::metadata).
    pub async fn file_type(&self) -> io::Result<std::fs::FileType> {
        let entry = Arc::clone(&self.0);
        run(move || entry.file_type()).await
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.0.path()).finish()
    }
}
