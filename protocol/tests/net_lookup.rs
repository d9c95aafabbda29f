//! Host names: `lookup_host` for every address shape, `TcpStream::connect`
//! by name trying each address, and names that do not resolve.

mod rt;

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};

use baton_protocol::net::{TcpListener, TcpStream, lookup_host};
use rt::Rt;

#[test]
fn literal_shapes_resolve_to_themselves() {
    let rt = Rt::new();
    let want: SocketAddr = "127.0.0.1:7".parse().unwrap();
    rt.block_on(async {
        let of = |it: std::vec::IntoIter<SocketAddr>| it.collect::<Vec<_>>();
        assert_eq!(of(lookup_host(want).await.unwrap()), [want]);
        assert_eq!(of(lookup_host(&want).await.unwrap()), [want]);
        assert_eq!(of(lookup_host(([127, 0, 0, 1], 7)).await.unwrap()), [want]);
        assert_eq!(
            of(lookup_host((Ipv4Addr::LOCALHOST, 7)).await.unwrap()),
            [want]
        );
        assert_eq!(of(lookup_host("127.0.0.1:7").await.unwrap()), [want]);
        assert_eq!(of(lookup_host(("127.0.0.1", 7)).await.unwrap()), [want]);
        assert_eq!(
            of(lookup_host(String::from("127.0.0.1:7")).await.unwrap()),
            [want]
        );
        assert_eq!(
            of(lookup_host(&[want, want][..]).await.unwrap()),
            [want, want]
        );
        assert_eq!(
            of(lookup_host("[::1]:7").await.unwrap()),
            ["[::1]:7".parse::<SocketAddr>().unwrap()]
        );
    });
}

#[test]
fn localhost_resolves_to_loopback() {
    let rt = Rt::new();
    let addrs: Vec<_> = rt.block_on(lookup_host("localhost:0")).unwrap().collect();
    assert!(!addrs.is_empty());
    assert!(
        addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 0),
        "{addrs:?}"
    );
    let addrs: Vec<_> = rt
        .block_on(lookup_host(("localhost", 9)))
        .unwrap()
        .collect();
    assert!(
        addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9),
        "{addrs:?}"
    );
}

#[test]
fn a_name_that_does_not_resolve_is_an_error_not_a_panic() {
    let rt = Rt::new();
    // `.invalid` never resolves (RFC 2606).
    assert!(rt.block_on(lookup_host("no-such-host.invalid:80")).is_err());
    assert!(
        rt.block_on(lookup_host(("no-such-host.invalid", 80)))
            .is_err()
    );
    assert!(
        rt.block_on(TcpStream::connect("no-such-host.invalid:80"))
            .is_err()
    );
}

#[test]
fn malformed_addresses_are_invalid_input() {
    let rt = Rt::new();
    for bad in ["no port here", "localhost:notaport", "localhost:99999"] {
        let err = rt.block_on(lookup_host(bad)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}: {err}");
    }
}

#[test]
fn connect_by_name_tries_each_address() {
    let rt = Rt::new();
    let _enter = rt.handle().enter();
    // Only 127.0.0.1 listens: if `localhost` also names ::1, that attempt
    // is refused and the next address is tried.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (client, server) = rt.block_on(async {
        let client = TcpStream::connect(("localhost", port)).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    });
    assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
    let by_string = rt.block_on(TcpStream::connect(format!("localhost:{port}")));
    assert!(by_string.is_ok());
}

#[test]
fn connect_by_name_reports_the_last_error() {
    let rt = Rt::new();
    let _enter = rt.handle().enter();
    let port = {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = rt
        .block_on(TcpStream::connect(("localhost", port)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}
