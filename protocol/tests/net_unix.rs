//! Unix-domain sockets: listener and stream, pairs, datagrams bound,
//! unbound and paired.

mod rt;

use std::io;
use std::net::Shutdown;
use std::path::PathBuf;

use baton_protocol::net::{UnixDatagram, UnixListener, UnixStream};
use futures_lite::future::zip;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use rt::Rt;

/// A socket path unique to this process and test, removed first.
fn socket_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("baton-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn listener_accepts_a_connecting_stream() {
    let rt = Rt::new();
    let path = socket_path("stream");
    rt.block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        let (client, accepted) = zip(UnixStream::connect(&path), listener.accept()).await;
        let (mut client, (mut server, _peer)) = (client.unwrap(), accepted.unwrap());
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        client.write_all(b"over unix").await.unwrap();
        client.close().await.unwrap();
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"over unix");
    });
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn connect_to_a_missing_path_fails() {
    let rt = Rt::new();
    let path = socket_path("missing");
    let e = rt.block_on(UnixStream::connect(&path)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e:?}");
}

#[test]
fn stream_pair_both_directions_and_shutdown() {
    let rt = Rt::new();
    let (a, b) = {
        let _enter = rt.handle().enter();
        UnixStream::pair().unwrap()
    };
    rt.block_on(async {
        (&a).write_all(b"a->b").await.unwrap();
        (&b).write_all(b"b->a").await.unwrap();
        let mut buf = [0; 4];
        (&b).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"a->b");
        (&a).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"b->a");
        a.shutdown(Shutdown::Write).unwrap();
        assert_eq!((&b).read(&mut buf).await.unwrap(), 0);
    });
}

#[test]
fn datagrams_bound_unbound_and_paired() {
    let rt = Rt::new();
    let path = socket_path("dgram");
    rt.block_on(async {
        let server = UnixDatagram::bind(&path).unwrap();
        let client = UnixDatagram::unbound().unwrap();
        client.send_to(b"to the path", &path).await.unwrap();
        let mut buf = [0; 32];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"to the path");
        assert!(from.is_unnamed());

        client.connect(&path).unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        client.send(b"connected").await.unwrap();
        let n = server.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"connected");

        let (x, y) = UnixDatagram::pair().unwrap();
        x.send(b"paired").await.unwrap();
        let n = y.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"paired");
    });
    std::fs::remove_file(&path).unwrap();
}
