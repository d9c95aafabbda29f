//! Host names: [`lookup_host`], and [`ToSocketAddrs`], the address shapes
//! [`TcpStream::connect`](super::TcpStream::connect) accepts.

use std::future::Future;
use std::io;
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6,
    ToSocketAddrs as StdToSocketAddrs,
};
use std::vec;

use crate::task::spawn_blocking;

/// Anything that names one or more socket addresses: the shapes std's
/// [`std::net::ToSocketAddrs`] accepts, plus the `([u8; 4], u16)`-style
/// tuples that `SocketAddr::from` takes.
///
/// A literal address (a [`SocketAddr`], an `(ip, port)` tuple, or a string
/// such as `"127.0.0.1:80"` or `"[::1]:80"`) is used as it is, with no pool
/// trip and no allocation for a single address; a host name (`"localhost:80"`,
/// `("example.com", 443)`) is resolved with the system resolver
/// (`getaddrinfo`) on the [blocking pool](crate::task::blocking).
///
/// Sealed: the resolution is the protocol's business.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use baton_protocol::net::lookup_host;
///
/// # futures_lite::future::block_on(async {
/// // Every shape resolves to the same address.
/// let literal: SocketAddr = "127.0.0.1:8080".parse().unwrap();
/// assert_eq!(lookup_host(literal).await?.next(), Some(literal));
/// assert_eq!(lookup_host(([127, 0, 0, 1], 8080)).await?.next(), Some(literal));
/// assert_eq!(lookup_host(("127.0.0.1", 8080)).await?.next(), Some(literal));
/// assert_eq!(lookup_host("127.0.0.1:8080").await?.next(), Some(literal));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

mod sealed {
    use super::Addrs;

    /// How an address shape is resolved.
    pub trait Sealed {
        /// The addresses, or the name to resolve.
        fn to_addrs(&self) -> Addrs;
    }
}

/// An address shape, taken apart: literal addresses, or a name for the
/// resolver.
#[doc(hidden)]
#[derive(Debug)]
pub enum Addrs {
    /// One literal address: the common case, kept allocation-free.
    One(SocketAddr),
    /// Several literal addresses (a slice).
    Many(Vec<SocketAddr>),
    /// A `host:port` string for the resolver (std parses and checks it).
    Name(String),
    /// A host and a port for the resolver.
    HostPort(String, u16),
}

impl Addrs {
    /// Resolves the name, if there is one, on the blocking pool.
    async fn resolve(self) -> io::Result<vec::IntoIter<SocketAddr>> {
        match self {
            Addrs::One(addr) => Ok(vec![addr].into_iter()),
            Addrs::Many(addrs) => Ok(addrs.into_iter()),
            Addrs::Name(name) => getaddrinfo(move || name.to_socket_addrs()).await,
            Addrs::HostPort(host, port) => {
                getaddrinfo(move || (host.as_str(), port).to_socket_addrs()).await
            }
        }
    }
}

/// Runs std's resolver on the blocking pool.
async fn getaddrinfo<F>(lookup: F) -> io::Result<vec::IntoIter<SocketAddr>>
where
    F: FnOnce() -> io::Result<vec::IntoIter<SocketAddr>> + Send + 'static,
{
    spawn_blocking(lookup)?.await?
}

/// Resolves `addr` to its socket addresses: at once for a literal address,
/// with the system resolver (`getaddrinfo`, which may block for seconds) on
/// the [blocking pool](crate::task::blocking) for a host name. tokio's
/// `lookup_host`, asyncio's `loop.getaddrinfo`.
///
/// # Errors
///
/// For a name that does not resolve, the resolver's error (std reports it
/// as an `io::Error` with the resolver's message, "failed to lookup address
/// information: ..."); `InvalidInput` for a string that is not `host:port`
/// or has a bad port; the pool's error (as an `io::Error` carrying
/// [`Error`](crate::Error)) if the lookup could not run. Never a panic.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let addrs: Vec<_> = baton_protocol::net::lookup_host("localhost:0").await?.collect();
/// assert!(addrs.iter().all(|a| a.ip().is_loopback()));
///
/// let bad = baton_protocol::net::lookup_host("no port here").await;
/// assert!(bad.is_err());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn lookup_host(addr: impl ToSocketAddrs) -> io::Result<vec::IntoIter<SocketAddr>> {
    addr.to_addrs().resolve().await
}

/// Runs `attempt` on each address `addr` names, in the resolver's order,
/// until one succeeds; the last error if none does. A literal address is
/// one attempt and no pool trip.
pub(crate) async fn each_addr<A, T, F, Fut>(addr: A, mut attempt: F) -> io::Result<T>
where
    A: ToSocketAddrs,
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let addrs = match addr.to_addrs() {
        Addrs::One(addr) => return attempt(addr).await,
        other => other.resolve().await?,
    };
    let mut last = None;
    for addr in addrs {
        match attempt(addr).await {
            Ok(done) => return Ok(done),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

macro_rules! literal {
    ($($ty:ty => |$v:ident| $addr:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::Sealed for $ty {
            fn to_addrs(&self) -> Addrs {
                let $v = self;
                Addrs::One($addr)
            }
        }
    )*};
}

literal! {
    SocketAddr => |a| *a;
    SocketAddrV4 => |a| SocketAddr::V4(*a);
    SocketAddrV6 => |a| SocketAddr::V6(*a);
    (IpAddr, u16) => |a| SocketAddr::from(*a);
    (Ipv4Addr, u16) => |a| SocketAddr::from(*a);
    (Ipv6Addr, u16) => |a| SocketAddr::from(*a);
    ([u8; 4], u16) => |a| SocketAddr::from(*a);
    ([u8; 16], u16) => |a| SocketAddr::from(*a);
    ([u16; 8], u16) => |a| SocketAddr::from(*a);
}

impl ToSocketAddrs for str {}
impl sealed::Sealed for str {
    fn to_addrs(&self) -> Addrs {
        match self.parse() {
            Ok(addr) => Addrs::One(addr),
            Err(_) => Addrs::Name(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::Sealed for String {
    fn to_addrs(&self) -> Addrs {
        self.as_str().to_addrs()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Sealed for (&str, u16) {
    fn to_addrs(&self) -> Addrs {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => Addrs::One(SocketAddr::new(ip, port)),
            Err(_) => Addrs::HostPort(host.to_owned(), port),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Sealed for (String, u16) {
    fn to_addrs(&self) -> Addrs {
        (self.0.as_str(), self.1).to_addrs()
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::Sealed for [SocketAddr] {
    fn to_addrs(&self) -> Addrs {
        match self {
            [one] => Addrs::One(*one),
            many => Addrs::Many(many.to_vec()),
        }
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Sealed for &T {
    fn to_addrs(&self) -> Addrs {
        (**self).to_addrs()
    }
}
