//! tokio's `AsyncRead` / `AsyncWrite` for the stream types (feature
//! `tokio-io`), written once over their futures-io implementations on `&`.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};

/// tokio's `poll_read` over a futures-io reader: futures-io reads into
/// initialized bytes, so the unfilled part is zeroed first (once: tokio's
/// `ReadBuf` remembers what it initialized).
pub(crate) fn poll_read(
    mut stream: impl AsyncRead + Unpin,
    cx: &mut Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let n = ready!(Pin::new(&mut stream).poll_read(cx, buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// tokio's `poll_write`.
pub(crate) fn poll_write(
    mut stream: impl AsyncWrite + Unpin,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    Pin::new(&mut stream).poll_write(cx, buf)
}

/// tokio's `poll_write_vectored`.
pub(crate) fn poll_write_vectored(
    mut stream: impl AsyncWrite + Unpin,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    Pin::new(&mut stream).poll_write_vectored(cx, bufs)
}

/// tokio's `poll_flush`.
pub(crate) fn poll_flush(
    mut stream: impl AsyncWrite + Unpin,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    Pin::new(&mut stream).poll_flush(cx)
}

/// tokio's `poll_shutdown`: futures-io's `poll_close`, which shuts down the
/// write half, as tokio's own streams do.
pub(crate) fn poll_shutdown(
    mut stream: impl AsyncWrite + Unpin,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    Pin::new(&mut stream).poll_close(cx)
}

/// Implements tokio's `AsyncRead` and `AsyncWrite` for `$ty` and `&$ty`,
/// which implement futures-io's, through `&$ty`.
macro_rules! tokio_io {
    ($ty:ty) => {
        $crate::net::tokio_io::tokio_io!(@impl $ty, $ty);
        $crate::net::tokio_io::tokio_io!(@impl &$ty, $ty);
    };
    (@impl $for:ty, $ty:ty) => {
        impl tokio::io::AsyncRead for $for {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let stream: &$ty = &self;
                $crate::net::tokio_io::poll_read(stream, cx, buf)
            }
        }

        impl tokio::io::AsyncWrite for $for {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let stream: &$ty = &self;
                $crate::net::tokio_io::poll_write(stream, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let stream: &$ty = &self;
                $crate::net::tokio_io::poll_write_vectored(stream, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let stream: &$ty = &self;
                $crate::net::tokio_io::poll_flush(stream, cx)
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let stream: &$ty = &self;
                $crate::net::tokio_io::poll_shutdown(stream, cx)
            }
        }
    };
}

pub(crate) use tokio_io;
