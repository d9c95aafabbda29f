//! Files and directories, on the runtime's
//! [blocking pool](crate::task::blocking): what `tokio::fs` and `async-fs`
//! are, written once against the protocol, so they run on every backend.
//!
//! Regular files cannot wait in a reactor (every reactor refuses them,
//! design Decision 4: epoll says `EPERM`, poll(2) says "always ready"), so
//! each operation here is a blocking call made on a pool thread:
//!
//! - the whole-file functions ([`read`], [`read_to_string`], [`write()`],
//!   [`metadata`], [`create_dir_all`], [`remove_file`], [`rename`], ...) make
//!   **one pool trip each**, however large the file;
//! - a [`File`] reads ahead and writes behind through an
//!   [`Unblock`](crate::unblock::Unblock) pipe, so a large transfer is one
//!   pool trip per pipe-full (1 MiB), not one per `read` call;
//! - [`read_dir`] fetches entries in batches of 32.
//!
//! Errors are the operating system's, as `std::fs` gives them: a missing
//! path is [`NotFound`](std::io::ErrorKind::NotFound), reading a directory
//! is [`IsADirectory`](std::io::ErrorKind::IsADirectory). A pool that shut
//! down (or a panic on it) arrives as an `io::Error` carrying the
//! protocol's [`Error`](crate::Error); [`Error::from`](crate::Error) gets it
//! back.
//!
//! # Examples
//!
//! ```
//! use baton_protocol::fs;
//!
//! # futures_lite::future::block_on(async {
//! let dir = std::env::temp_dir().join(format!("baton-fs-doc-{}", std::process::id()));
//! fs::create_dir_all(&dir).await?;
//! fs::write(dir.join("greeting"), "hello").await?;
//! assert_eq!(fs::read_to_string(dir.join("greeting")).await?, "hello");
//!
//! let missing = fs::read(dir.join("nope")).await.unwrap_err();
//! assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
//! # fs::remove_file(dir.join("greeting")).await?;
//! # std::fs::remove_dir(&dir)?;
//! # std::io::Result::Ok(()) }).unwrap();
//! ```

mod file;
mod options;
mod read_dir;

use std::io;
use std::path::{Path, PathBuf};

pub use file::File;
pub use options::OpenOptions;
pub use read_dir::{DirEntry, ReadDir, read_dir};

use crate::task::spawn_blocking;

/// Runs `f` on the blocking pool and flattens the pool's error into the
/// `io::Error`.
async fn run<T, F>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    spawn_blocking(f)?.await?
}

/// Reads the whole file at `path`: [`std::fs::read`], in one pool trip.
///
/// # Errors
///
/// `NotFound` for a missing file, `IsADirectory` for a directory, any other
/// error of opening or reading; the pool's error (as an `io::Error`
/// carrying [`Error`](crate::Error)) if it could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let manifest = baton_protocol::fs::read("Cargo.toml").await?;
/// assert!(manifest.starts_with(b"[package]"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::read(path)).await
}

/// Reads the whole file at `path` as UTF-8: [`std::fs::read_to_string`].
///
/// # Errors
///
/// As [`read`]; `InvalidData` if the file is not UTF-8.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let manifest = baton_protocol::fs::read_to_string("Cargo.toml").await?;
/// assert!(manifest.contains("baton-protocol"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::read_to_string(path)).await
}

/// Writes `contents` to the file at `path`, creating or truncating it:
/// [`std::fs::write`], in one pool trip.
///
/// # Errors
///
/// `NotFound` when the parent directory is missing, `IsADirectory` when
/// `path` is a directory, any other error of opening or writing; the
/// pool's error if it could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let path = std::env::temp_dir().join(format!("baton-write-doc-{}", std::process::id()));
/// baton_protocol::fs::write(&path, b"bytes").await?;
/// assert_eq!(std::fs::read(&path)?, b"bytes");
/// # std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    run(move || std::fs::write(path, contents)).await
}

/// The metadata of `path`, following symbolic links: [`std::fs::metadata`].
///
/// # Errors
///
/// `NotFound` for a missing path, any other error of `stat`; the pool's
/// error if it could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let meta = baton_protocol::fs::metadata("Cargo.toml").await?;
/// assert!(meta.is_file());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::metadata(path)).await
}

/// The metadata of `path` itself, not following a symbolic link:
/// [`std::fs::symlink_metadata`].
///
/// # Errors
///
/// As [`metadata`].
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let meta = baton_protocol::fs::symlink_metadata("Cargo.toml").await?;
/// assert!(!meta.is_symlink());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::symlink_metadata(path)).await
}

/// Creates the directory `path`: [`std::fs::create_dir`].
///
/// # Errors
///
/// `AlreadyExists` if it exists, `NotFound` if its parent is missing, any
/// other error of `mkdir`; the pool's error if it could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let dir = std::env::temp_dir().join(format!("baton-mkdir-doc-{}", std::process::id()));
/// baton_protocol::fs::create_dir(&dir).await?;
/// baton_protocol::fs::remove_dir(&dir).await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::create_dir(path)).await
}

/// Creates the directory `path` and every missing parent:
/// [`std::fs::create_dir_all`]. An existing directory is not an error.
///
/// # Errors
///
/// Any error of `mkdir` other than "exists" (`NotADirectory` when a parent
/// is a file, for example); the pool's error if it could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let root = std::env::temp_dir().join(format!("baton-mkdirs-doc-{}", std::process::id()));
/// baton_protocol::fs::create_dir_all(root.join("a/b/c")).await?;
/// assert!(root.join("a/b/c").is_dir());
/// # std::fs::remove_dir_all(&root)?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::create_dir_all(path)).await
}

/// Removes the empty directory `path`: [`std::fs::remove_dir`].
///
/// # Errors
///
/// `NotFound` if it is missing, `DirectoryNotEmpty` if it is not empty,
/// any other error of `rmdir`; the pool's error if it could not run.
///
/// # Examples
///
/// See [`create_dir`].
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::remove_dir(path)).await
}

/// Removes the directory `path` and everything in it:
/// [`std::fs::remove_dir_all`].
///
/// # Errors
///
/// `NotFound` if it is missing, any other error of removing an entry; the
/// pool's error if it could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let root = std::env::temp_dir().join(format!("baton-rmtree-doc-{}", std::process::id()));
/// std::fs::create_dir_all(root.join("x/y"))?;
/// baton_protocol::fs::remove_dir_all(&root).await?;
/// assert!(!root.exists());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::remove_dir_all(path)).await
}

/// Removes the file `path`: [`std::fs::remove_file`].
///
/// # Errors
///
/// `NotFound` if it is missing, `IsADirectory` for a directory, any other
/// error of `unlink`; the pool's error if it could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let path = std::env::temp_dir().join(format!("baton-rm-doc-{}", std::process::id()));
/// std::fs::write(&path, "x")?;
/// baton_protocol::fs::remove_file(&path).await?;
/// let again = baton_protocol::fs::remove_file(&path).await.unwrap_err();
/// assert_eq!(again.kind(), std::io::ErrorKind::NotFound);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::remove_file(path)).await
}

/// Renames `from` to `to`, replacing `to` if it exists: [`std::fs::rename`].
///
/// # Errors
///
/// `NotFound` if `from` is missing, any other error of `rename` (across
/// file systems, a directory over a file, ...); the pool's error if it
/// could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let dir = std::env::temp_dir();
/// let (a, b) = (dir.join(format!("baton-mv-a-{}", std::process::id())), dir.join(format!("baton-mv-b-{}", std::process::id())));
/// std::fs::write(&a, "x")?;
/// baton_protocol::fs::rename(&a, &b).await?;
/// assert!(!a.exists() && b.exists());
/// # std::fs::remove_file(&b)?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    run(move || std::fs::rename(from, to)).await
}

/// Copies the contents and permissions of the file `from` to `to`:
/// [`std::fs::copy`]. Returns the bytes copied.
///
/// # Errors
///
/// `NotFound` if `from` is missing, `InvalidInput` if it is not a file,
/// any other error of reading or writing; the pool's error if it could not
/// run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let to = std::env::temp_dir().join(format!("baton-cp-doc-{}", std::process::id()));
/// let copied = baton_protocol::fs::copy("Cargo.toml", &to).await?;
/// assert_eq!(copied, std::fs::metadata("Cargo.toml")?.len());
/// # std::fs::remove_file(&to)?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    run(move || std::fs::copy(from, to)).await
}

/// The absolute form of `path`, with every symbolic link resolved:
/// [`std::fs::canonicalize`].
///
/// # Errors
///
/// `NotFound` if `path` or a link on the way is missing; the pool's error
/// if it could not run.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let path = baton_protocol::fs::canonicalize("Cargo.toml").await?;
/// assert!(path.is_absolute());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::canonicalize(path)).await
}
