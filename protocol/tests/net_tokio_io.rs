//! The `tokio-io` feature: the stream types, owned and through `&`, used
//! where tokio's `AsyncRead` / `AsyncWrite` are required, with no wrapper.

mod rt;

use baton_protocol::net::{TcpListener, TcpStream, UnixStream};
use futures_lite::future::zip;
use rt::Rt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Code that knows only tokio's traits.
async fn send_then_read_all<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    message: &[u8],
) -> std::io::Result<Vec<u8>> {
    stream.write_all(message).await?;
    stream.shutdown().await?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    Ok(reply)
}

#[test]
fn tcp_streams_are_tokio_streams() {
    let rt = Rt::new();
    rt.block_on(async {
        let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
        let (client, accepted) = zip(
            TcpStream::connect(listener.local_addr().unwrap()),
            listener.accept(),
        )
        .await;
        let (client, (server, _)) = (client.unwrap(), accepted.unwrap());
        // The server echoes through `&TcpStream` with tokio's copy.
        let echo = async {
            let (mut reader, mut writer) = (&server, &server);
            let copied = tokio::io::copy(&mut reader, &mut writer).await.unwrap();
            AsyncWriteExt::shutdown(&mut writer).await.unwrap();
            copied
        };
        let (reply, copied) = zip(send_then_read_all(client, b"through tokio"), echo).await;
        assert_eq!(reply.unwrap(), b"through tokio");
        assert_eq!(copied, 13);
    });
}

#[test]
fn unix_streams_are_tokio_streams_with_vectored_writes() {
    let rt = Rt::new();
    rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        assert!(a.is_write_vectored());
        let bufs = [
            std::io::IoSlice::new(b"one "),
            std::io::IoSlice::new(b"two"),
        ];
        let written = a.write_vectored(&bufs).await.unwrap();
        assert_eq!(written, 7, "both buffers in one write");
        AsyncWriteExt::shutdown(&mut a).await.unwrap();
        let mut got = String::new();
        b.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "one two");
    });
}
