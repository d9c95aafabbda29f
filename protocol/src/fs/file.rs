//! [`File`]: an open file as futures-io `AsyncRead` / `AsyncWrite` /
//! `AsyncSeek`.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};

use super::{OpenOptions, run};
use crate::unblock::Unblock;

/// An open file. Reads read ahead and writes are buffered, through an
/// [`Unblock`] pipe on the [blocking pool](crate::task::blocking): one pool
/// trip per pipe-full (1 MiB), not one per call.
///
/// The position the task sees is exact: a seek, a write or
/// [`sync_all`](File::sync_all) after reads first moves the file's
/// position back over the bytes read ahead and not consumed. Written bytes
/// reach the file when the pipe fills, at [`flush`](AsyncWrite::poll_flush),
/// at a seek or a read; **flush before dropping** a file you wrote to (the
/// drop still hands buffered bytes to the pool, but nobody sees the error).
///
/// # Examples
///
/// ```
/// use baton_protocol::fs::File;
/// use futures_lite::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use std::io::SeekFrom;
///
/// # futures_lite::future::block_on(async {
/// let path = std::env::temp_dir().join(format!("baton-file-doc-{}", std::process::id()));
/// let mut file = File::create(&path).await?;
/// file.write_all(b"0123456789").await?;
/// file.flush().await?;
///
/// let mut file = File::open(&path).await?;
/// let mut two = [0; 2];
/// file.read_exact(&mut two).await?;
/// assert_eq!(&two, b"01");
/// // Relative to what the task read, not to how far the file read ahead.
/// assert_eq!(file.seek(SeekFrom::Current(3)).await?, 5);
/// let mut rest = Vec::new();
/// file.read_to_end(&mut rest).await?;
/// assert_eq!(rest, b"56789");
/// // At end of file a read returns 0.
/// assert_eq!(file.read(&mut two).await?, 0);
/// # std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub struct File {
    file: Arc<std::fs::File>,
    unblock: Unblock<ArcFile>,
    /// Reads happened since the last seek or write: the file's own position
    /// may be ahead of the task's.
    read_ahead: bool,
}

impl File {
    /// Opens `path` for reading: [`std::fs::File::open`].
    ///
    /// # Errors
    ///
    /// `NotFound` for a missing file, `PermissionDenied`, any other error
    /// of `open`; the pool's error if it could not run. A directory opens
    /// (as in `std`, so that it can be synced); reading it fails with
    /// `IsADirectory`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let file = baton_protocol::fs::File::open("Cargo.toml").await?;
    /// assert!(file.metadata().await?.len() > 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens `path` for writing, creating it or truncating it:
    /// [`std::fs::File::create`].
    ///
    /// # Errors
    ///
    /// `NotFound` when the parent directory is missing, `IsADirectory` for
    /// a directory, any other error of `open`; the pool's error if it could
    /// not run.
    ///
    /// # Examples
    ///
    /// See [`File`].
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Options to open a file with; see [`OpenOptions`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let file = baton_protocol::fs::File::options().read(true).open("Cargo.toml").await?;
    /// # drop(file);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a standard file. Nothing blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let file = baton_protocol::fs::File::from_std(std::fs::File::open("Cargo.toml")?);
    /// # drop(file);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(file: std::fs::File) -> File {
        let file = Arc::new(file);
        File {
            unblock: Unblock::new(ArcFile(Arc::clone(&file))),
            file,
            read_ahead: false,
        }
    }

    /// The standard file, once buffered writes are written and the position
    /// is where the task left it.
    ///
    /// # Errors
    ///
    /// A write or seek error met on the way, or the pool's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let file = baton_protocol::fs::File::open("Cargo.toml").await?;
    /// let file: std::fs::File = file.into_std().await?;
    /// # drop(file);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn into_std(mut self) -> io::Result<std::fs::File> {
        self.settle().await?;
        let File { file, unblock, .. } = self;
        drop(unblock.into_inner().await?);
        Arc::try_unwrap(file)
            .map_err(|_| io::Error::other("the file is still in use by a blocking job"))
    }

    /// The file's metadata: [`std::fs::File::metadata`]. Bytes still
    /// buffered for writing are not counted in its length; flush first.
    ///
    /// # Errors
    ///
    /// The error of `fstat`; the pool's error if it could not run.
    ///
    /// # Examples
    ///
    /// See [`File::open`].
    pub async fn metadata(&self) -> io::Result<std::fs::Metadata> {
        let file = Arc::clone(&self.file);
        run(move || file.metadata()).await
    }

    /// Truncates or extends the file to `size` bytes, after writing what is
    /// buffered: [`std::fs::File::set_len`]. The position does not move.
    ///
    /// # Errors
    ///
    /// The error of writing, or of `ftruncate`; the pool's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let path = std::env::temp_dir().join(format!("baton-setlen-doc-{}", std::process::id()));
    /// let mut file = baton_protocol::fs::File::create(&path).await?;
    /// file.set_len(4096).await?;
    /// assert_eq!(file.metadata().await?.len(), 4096);
    /// # std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.settle().await?;
        self.unblock.with_mut(move |f| f.0.set_len(size)).await?
    }

    /// Writes what is buffered, then flushes data and metadata to the
    /// device: [`std::fs::File::sync_all`].
    ///
    /// # Errors
    ///
    /// The error of writing, or of `fsync`; the pool's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// use futures_lite::AsyncWriteExt;
    /// let path = std::env::temp_dir().join(format!("baton-sync-doc-{}", std::process::id()));
    /// let mut file = baton_protocol::fs::File::create(&path).await?;
    /// file.write_all(b"durable").await?;
    /// file.sync_all().await?;
    /// assert_eq!(std::fs::read(&path)?, b"durable");
    /// # std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.settle().await?;
        self.unblock.with_mut(|f| f.0.sync_all()).await?
    }

    /// As [`sync_all`](File::sync_all), without metadata that reading does
    /// not need: [`std::fs::File::sync_data`].
    ///
    /// # Errors
    ///
    /// As [`sync_all`](File::sync_all).
    ///
    /// # Examples
    ///
    /// See [`sync_all`](File::sync_all).
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.settle().await?;
        self.unblock.with_mut(|f| f.0.sync_data()).await?
    }

    /// Writes what is buffered and moves the position back over bytes read
    /// ahead: afterwards the file's own position is the task's.
    async fn settle(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_seek(cx, SeekFrom::Current(0)))
            .await
            .map(drop)
    }

    /// Moves the position back over bytes read ahead, if reads happened.
    fn poll_reposition(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.read_ahead {
            ready!(Pin::new(&mut self.unblock).poll_seek(cx, SeekFrom::Current(0)))?;
            self.read_ahead = false;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for File {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.read_ahead = true;
        Pin::new(&mut self.unblock).poll_read(cx, buf)
    }
}

impl AsyncWrite for File {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_reposition(cx))?;
        Pin::new(&mut self.unblock).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_reposition(cx))?;
        Pin::new(&mut self.unblock).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_reposition(cx))?;
        Pin::new(&mut self.unblock).poll_close(cx)
    }
}

impl AsyncSeek for File {
    fn poll_seek(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        // The pipe corrects a relative seek by the bytes it read ahead.
        let at = ready!(Pin::new(&mut self.unblock).poll_seek(cx, pos))?;
        self.read_ahead = false;
        Poll::Ready(Ok(at))
    }
}

impl From<std::fs::File> for File {
    fn from(file: std::fs::File) -> File {
        File::from_std(file)
    }
}

impl From<OwnedFd> for File {
    fn from(fd: OwnedFd) -> File {
        File::from_std(std::fs::File::from(fd))
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("fd", &self.file.as_raw_fd())
            .field("unblock", &self.unblock)
            .finish()
    }
}

/// The file as the pipe's blocking object: shares the descriptor with
/// [`File`], so that `metadata` need not wait for the pipe.
struct ArcFile(Arc<std::fs::File>);

impl Read for ArcFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl Write for ArcFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self.0).flush()
    }
}

impl Seek for ArcFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        (&*self.0).seek(pos)
    }
}
