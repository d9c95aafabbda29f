//! J. Host names: `lookup_host` on the blocking pool, and connecting by
//! name.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};

use baton_protocol::net::{TcpListener, TcpStream, lookup_host};

use super::blocking::settle;
use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::{ensure, ensure_eq};

pub(crate) const CASES: &[Case] = &[
    case!(
        "dns.lookup_localhost",
        "lookup_host(\"localhost:0\") resolves to loopback addresses; a literal address resolves to itself",
        [],
        lookup_localhost
    ),
    case!(
        "dns.connect_by_name",
        "TcpStream::connect((\"localhost\", port)) reaches a 127.0.0.1 listener; a name that does not resolve is an error",
        [],
        connect_by_name
    ),
];

fn lookup_localhost(ctx: &Ctx) -> Outcome {
    let (named, literal) = ctx.block_on(async {
        let named: Vec<SocketAddr> = lookup_host("localhost:0").await?.collect();
        let literal: Vec<SocketAddr> = lookup_host(([127, 0, 0, 1], 80)).await?.collect();
        std::io::Result::Ok((named, literal))
    })??;
    ensure!(!named.is_empty(), "localhost resolved to nothing");
    ensure!(
        named.iter().all(|a| a.ip().is_loopback() && a.port() == 0),
        "localhost resolved to {named:?}"
    );
    ensure_eq!(literal, [SocketAddr::from(([127, 0, 0, 1], 80))]);
    settle(&ctx.runtime()?.handle())
}

fn connect_by_name(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    ctx.block_on(async move {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        let client = TcpStream::connect(("localhost", port)).await?;
        let (server, _) = listener.accept().await?;
        ensure_eq!(client.peer_addr()?, server.local_addr()?);
        // `.invalid` never resolves (RFC 2606): an error value, no panic.
        let unresolved = TcpStream::connect("no-such-host.invalid:80").await;
        ensure!(unresolved.is_err(), "an unresolvable name connected");
        let malformed = lookup_host("localhost:notaport").await;
        ensure!(
            malformed.is_err_and(|e| e.kind() == ErrorKind::InvalidInput),
            "a bad port was not InvalidInput"
        );
        Ok::<_, Failure>(())
    })??;
    settle(&rt.handle())
}
