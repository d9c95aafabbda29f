//! UDP on 127.0.0.1: send_to / recv_from, connected send / recv, peek, and
//! still receiving after an ICMP error.

mod rt;

use std::io;

use baton_protocol::net::UdpSocket;
use rt::Rt;

fn bound(rt: &Rt) -> UdpSocket {
    let _enter = rt.handle().enter();
    UdpSocket::bind(([127, 0, 0, 1], 0)).unwrap()
}

#[test]
fn send_to_and_recv_from() {
    let rt = Rt::new();
    let (a, b) = (bound(&rt), bound(&rt));
    rt.block_on(async {
        let sent = a.send_to(b"hello", b.local_addr().unwrap()).await.unwrap();
        assert_eq!(sent, 5);
        let mut buf = [0; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr().unwrap()));
    });
}

#[test]
fn connected_send_recv_and_peek() {
    let rt = Rt::new();
    let (a, b) = (bound(&rt), bound(&rt));
    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    rt.block_on(async {
        a.send(b"datagram").await.unwrap();
        let mut buf = [0; 16];
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!(
            (&buf[..n], from),
            (&b"datagram"[..], a.local_addr().unwrap())
        );
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"datagram");
    });
}

#[test]
fn still_receives_after_an_icmp_error() {
    // io.udp_after_icmp_error.
    let rt = Rt::new();
    let a = bound(&rt);
    let gone = {
        let closed = bound(&rt);
        closed.local_addr().unwrap()
    };
    let b = bound(&rt);
    rt.block_on(async {
        // A connected socket learns of the port-unreachable on a later call.
        a.connect(gone).unwrap();
        a.send(b"nobody home").await.unwrap();
        let mut buf = [0; 16];
        let icmp =
            baton_protocol::time::timeout(std::time::Duration::from_secs(5), a.recv(&mut buf))
                .await
                .expect("the ICMP error arrives");
        let e = icmp.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e:?}");

        // The same socket keeps working.
        a.connect(b.local_addr().unwrap()).unwrap();
        b.send_to(b"later", a.local_addr().unwrap()).await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"later");
    });
}

#[test]
fn unconnected_peer_addr_is_not_connected() {
    let rt = Rt::new();
    let a = bound(&rt);
    assert_eq!(
        a.peer_addr().unwrap_err().kind(),
        io::ErrorKind::NotConnected
    );
    let std = a.into_std();
    assert_eq!(rt.reactor().stats().registrations, 0);
    drop(std);
}
