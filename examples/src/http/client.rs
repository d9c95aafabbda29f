//! The client: one request with hyper's client, over a baton TCP stream.

use std::fmt;
use std::str::FromStr;

use baton_hyper::{BatonExecutor, BatonIo, BatonTimer};
use baton_protocol::net::TcpStream;
use baton_protocol::spawn;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HOST, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};

use super::routes::BoxError;

/// The protocol the client speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.1.
    #[default]
    Http1,
    /// HTTP/2 over cleartext, with prior knowledge (h2c, as
    /// `curl --http2-prior-knowledge`).
    Http2,
}

impl FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Version, String> {
        match s {
            "1" | "1.1" | "http1" => Ok(Version::Http1),
            "2" | "h2c" | "http2" => Ok(Version::Http2),
            other => Err(format!("unknown HTTP version {other:?} (1.1 or 2)")),
        }
    }
}

/// A response, read in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The status.
    pub status: StatusCode,
    /// The protocol version the server answered with.
    pub version: hyper::Version,
    /// The body.
    pub body: Bytes,
}

impl fmt::Display for Fetched {
    /// `STATUS VERSION`, then the body as text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {:?}", self.status, self.version)?;
        write!(f, "{}", String::from_utf8_lossy(&self.body))
    }
}

/// Sends one request to `url` (`http://HOST:PORT/path?query`, `HOST` an IP
/// address) and reads the whole response: a `GET`, or a `POST` of `body`
/// when there is one. The connection's own task is spawned through the
/// protocol, and so are HTTP/2's.
///
/// # Errors
///
/// A URL that is not `http://IP:PORT/...`, a failed connection, or hyper's
/// error for the exchange.
pub async fn fetch(url: &Uri, version: Version, body: Option<Bytes>) -> Result<Fetched, BoxError> {
    if url.scheme_str() != Some("http") {
        return Err(format!("{url}: only http:// URLs are supported").into());
    }
    let authority = url.authority().ok_or_else(|| format!("{url}: no host"))?;
    let host: std::net::IpAddr = authority
        .host()
        .trim_matches(|c| c == '[' || c == ']')
        .parse()
        .map_err(|e| format!("{url}: the host must be an IP address ({e})"))?;
    let addr = (host, authority.port_u16().unwrap_or(80));
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let io = BatonIo::new(stream);

    let method = if body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    let mut request = Request::builder()
        .method(method)
        .uri(url.path_and_query().map_or("/", |p| p.as_str()))
        .body(Full::new(body.unwrap_or_default()))?;
    request
        .headers_mut()
        .insert(HOST, HeaderValue::from_str(authority.as_str())?);

    let response = match version {
        Version::Http1 => {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
            spawn(conn)?.detach();
            sender.send_request(request).await?
        }
        Version::Http2 => {
            // HTTP/2 wants an absolute URI (it becomes `:scheme` and
            // `:authority`).
            *request.uri_mut() = url.clone();
            let (mut sender, conn) = hyper::client::conn::http2::Builder::new(BatonExecutor::new())
                .timer(BatonTimer::new())
                .handshake(io)
                .await?;
            spawn(conn)?.detach();
            sender.send_request(request).await?
        }
    };
    let status = response.status();
    let version = response.version();
    let body = response.into_body().collect().await?.to_bytes();
    Ok(Fetched {
        status,
        version,
        body,
    })
}
