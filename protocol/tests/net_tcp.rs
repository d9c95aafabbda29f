//! TCP on 127.0.0.1: connect, accept, echo, a refused connect, vectored
//! writes, shutdown, nodelay, peek, and reading and writing one stream from
//! two futures.

mod rt;

use std::io::{IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use baton_protocol::Error;
use baton_protocol::net::{TcpListener, TcpStream};
use baton_protocol::time::{sleep, timeout};
use futures_lite::future::zip;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use rt::Rt;

const LOCALHOST: ([u8; 4], u16) = ([127, 0, 0, 1], 0);

/// A connected (client, server) pair through a fresh listener.
fn connected(rt: &Rt) -> (TcpStream, TcpStream) {
    rt.block_on(async {
        let listener = TcpListener::bind(LOCALHOST).unwrap();
        let (client, accepted) = zip(
            TcpStream::connect(listener.local_addr().unwrap()),
            listener.accept(),
        )
        .await;
        let (client, (server, peer)) = (client.unwrap(), accepted.unwrap());
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
        (client, server)
    })
}

#[test]
fn connect_accept_echo() {
    let rt = Rt::new();
    let (mut client, mut server) = connected(&rt);
    rt.block_on(async {
        let echo = async {
            let mut buf = [0; 64];
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                server.write_all(&buf[..n]).await.unwrap();
            }
        };
        let talk = async {
            let mut back = Vec::new();
            for line in [&b"one"[..], b"two", b"three"] {
                client.write_all(line).await.unwrap();
                let mut buf = vec![0; line.len()];
                client.read_exact(&mut buf).await.unwrap();
                back.extend_from_slice(&buf);
            }
            client.close().await.unwrap();
            back
        };
        let ((), back) = zip(echo, talk).await;
        assert_eq!(back, b"onetwothree");
    });
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    // io.connect_refused_surfaces: ConnectionRefused, not a hang.
    let rt = Rt::new();
    let addr: SocketAddr = {
        let _enter = rt.handle().enter();
        // A port that was free a moment ago and has no listener now.
        let listener = TcpListener::bind(LOCALHOST).unwrap();
        listener.local_addr().unwrap()
    };
    let result = rt.block_on(timeout(Duration::from_secs(5), TcpStream::connect(addr)));
    let e = result.expect("connect must not hang").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e:?}");
    assert_eq!(
        rt.reactor().stats().registrations,
        0,
        "the failed stream deregistered"
    );
}

#[test]
fn accept_drains_every_queued_connection() {
    // io.accept_ready_and_drain.
    let rt = Rt::new();
    rt.block_on(async {
        let listener = TcpListener::bind(LOCALHOST).unwrap();
        let addr = listener.local_addr().unwrap();
        let clients: Vec<_> = (0..3)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        for _ in 0..clients.len() {
            let (stream, peer) = listener.accept().await.unwrap();
            assert!(clients.iter().any(|c| c.local_addr().unwrap() == peer));
            drop(stream);
        }
    });
}

#[test]
fn vectored_write_and_read() {
    let rt = Rt::new();
    let (mut client, mut server) = connected(&rt);
    rt.block_on(async {
        let bufs = [IoSlice::new(b"vec"), IoSlice::new(b"tored")];
        let mut sent = 0;
        while sent < 8 {
            let n = client.write_vectored(&bufs).await.unwrap();
            assert_eq!(n, 8, "loopback takes small vectored writes whole");
            sent += n;
        }
        let (mut x, mut y) = ([0; 3], [0; 5]);
        let mut got = 0;
        while got < 8 {
            got += server
                .read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
                .await
                .unwrap();
        }
        assert_eq!((&x, &y), (b"vec", b"tored"));
    });
}

#[test]
fn shutdown_write_gives_the_peer_eof() {
    let rt = Rt::new();
    let (client, mut server) = connected(&rt);
    client.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    rt.block_on(server.read_to_end(&mut rest)).unwrap();
    assert!(rest.is_empty());
    // The other direction still works.
    rt.block_on(async {
        (&server).write_all(b"still").await.unwrap();
        let mut buf = [0; 5];
        (&client).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still");
    });
}

#[test]
fn nodelay_and_ttl() {
    let rt = Rt::new();
    let (client, _server) = connected(&rt);
    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
    client.set_nodelay(false).unwrap();
    assert!(!client.nodelay().unwrap());
    client.set_ttl(42).unwrap();
    assert_eq!(client.ttl().unwrap(), 42);
}

#[test]
fn peek_leaves_the_data() {
    let rt = Rt::new();
    let (mut client, mut server) = connected(&rt);
    rt.block_on(async {
        client.write_all(b"peek").await.unwrap();
        let mut buf = [0; 4];
        let mut n = 0;
        while n < 4 {
            n = server.peek(&mut buf).await.unwrap();
        }
        let mut again = [0; 4];
        server.read_exact(&mut again).await.unwrap();
        assert_eq!((&buf, &again), (b"peek", b"peek"));
    });
}

#[test]
fn one_stream_read_and_written_by_two_futures() {
    let rt = Rt::new();
    let (client, server) = connected(&rt);
    rt.block_on(async {
        let (got, ()) = zip(
            async {
                let mut buf = [0; 5];
                (&server).read_exact(&mut buf).await.unwrap();
                (&server).write_all(b"pong!").await.unwrap();
                buf
            },
            async {
                sleep(Duration::from_millis(5)).await.unwrap();
                (&client).write_all(b"ping!").await.unwrap();
                let mut buf = [0; 5];
                (&client).read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"pong!");
            },
        )
        .await;
        assert_eq!(&got, b"ping!");
    });
}

#[test]
fn std_round_trip() {
    let rt = Rt::new();
    let _enter = rt.handle().enter();
    let listener = TcpListener::bind(LOCALHOST).unwrap();
    let addr = listener.local_addr().unwrap();
    let std = listener.into_std();
    assert_eq!(std.local_addr().unwrap(), addr);
    assert_eq!(rt.reactor().stats().registrations, 0);
    let listener = TcpListener::from_std(std).unwrap();
    assert_eq!(rt.reactor().stats().registrations, 1);
    drop(listener);
}

#[test]
fn outside_a_runtime_is_no_runtime() {
    let e = TcpListener::bind(LOCALHOST).unwrap_err();
    assert!(matches!(Error::from(e), Error::NoRuntime));
}
