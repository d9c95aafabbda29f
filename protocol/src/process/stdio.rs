//! The child's ends of its standard streams, as reactor-driven pipes.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::process;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::Async;

macro_rules! pipe_end {
    ($(#[$doc:meta])* $name:ident wraps $std:ident) => {
        $(#[$doc])*
        pub struct $name {
            io: Async<process::$std>,
        }

        impl $name {
            /// Registers std's pipe end with the current runtime's reactor,
            /// in non-blocking mode (only this end: the child's stays as it
            /// was).
            pub(super) fn new(io: process::$std) -> io::Result<$name> {
                Ok($name { io: Async::new(io)? })
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.io.as_raw_fd()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("fd", &self.io.as_raw_fd())
                    .finish()
            }
        }
    };
}

macro_rules! read_end {
    ($name:ident) => {
        impl AsyncRead for $name {
            fn poll_read(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.io).poll_read(cx, buf)
            }

            fn poll_read_vectored(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.io).poll_read_vectored(cx, bufs)
            }
        }
    };
}

pipe_end!(
    /// The parent's end of a child's standard input: a futures-io
    /// [`AsyncWrite`] driven by the reactor.
    ///
    /// Drop it to close the child's standard input (`poll_close` only
    /// flushes, which a pipe never needs).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_protocol::process::{Command, Stdio};
    /// use futures_lite::AsyncWriteExt;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let mut child = Command::new("cat").stdin(Stdio::piped()).spawn()?;
    /// let mut stdin = child.stdin.take().expect("piped");
    /// stdin.write_all(b"hello\n").await?;
    /// drop(stdin); // EOF: cat exits
    /// child.wait().await?;
    /// # Ok(()) }
    /// ```
    ChildStdin wraps ChildStdin
);

pipe_end!(
    /// The parent's end of a child's standard output: a futures-io
    /// [`AsyncRead`] driven by the reactor, which reads what the child has
    /// written so far while it runs.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_protocol::process::{Command, Stdio};
    /// use futures_lite::AsyncReadExt;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
    /// let mut text = String::new();
    /// child.stdout.take().expect("piped").read_to_string(&mut text).await?;
    /// assert_eq!(text, "hi\n");
    /// # Ok(()) }
    /// ```
    ChildStdout wraps ChildStdout
);

pipe_end!(
    /// The parent's end of a child's standard error; see [`ChildStdout`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_protocol::process::{Command, Stdio};
    /// use futures_lite::AsyncReadExt;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let mut child = Command::new("ls").arg("/nowhere").stderr(Stdio::piped()).spawn()?;
    /// let mut text = String::new();
    /// child.stderr.take().expect("piped").read_to_string(&mut text).await?;
    /// assert!(!text.is_empty());
    /// # Ok(()) }
    /// ```
    ChildStderr wraps ChildStderr
);

read_end!(ChildStdout);
read_end!(ChildStderr);

impl AsyncWrite for ChildStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}
