//! The `http` server's deadlines and a client's request timeout under
//! `VirtualTime`, on every reactor × executor pair: each fires at exactly
//! the virtual instant it should, and an hour of deadlines costs no real
//! waiting.

use std::future::pending;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_examples::http::{Config, Version, fetch, serve};
use baton_protocol::net::{TcpListener, TcpStream};
use baton_protocol::time::{now, timeout};
use baton_protocol::{Error, spawn};
use baton_testing::VirtualTime;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use hyper::Uri;

/// Not a speed claim: only a guard that fails a hung run with a message.
const HANG_GUARD: Duration = Duration::from_secs(20);

/// Deadlines far apart, so that each test sees the one it is about.
const CONFIG: Config = Config {
    header_read_timeout: Duration::from_secs(3600),
    idle_timeout: Duration::from_secs(600),
    drain_timeout: Duration::from_secs(10),
};

/// Starts the server on a free loopback port, forever; returns its URL.
fn start(config: Config) -> Result<String, Error> {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    let base = format!("http://{}", listener.local_addr()?);
    spawn(async move { serve(&listener, config, pending()).await })?.detach();
    Ok(base)
}

#[test]
fn the_idle_timeout_closes_a_kept_alive_connection_at_its_instant() {
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let real = Instant::now();
        let idle = pair.block_on(vt.clone(), async {
            let base = start(CONFIG)?;
            let mut stream = TcpStream::connect(addr_of(&base)?).await?;
            let start = now();
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .await?;
            let mut reply = Vec::new();
            // The reply, then the close once the connection was idle long
            // enough: end of stream.
            stream.read_to_end(&mut reply).await?;
            let reply = String::from_utf8_lossy(&reply).into_owned();
            assert!(reply.ends_with("\r\n\r\nhello\n"), "{reply:?}");
            Ok::<_, Error>(now() - start)
        })??;
        assert_eq!(idle, CONFIG.idle_timeout, "on {}", pair.name());
        assert!(real.elapsed() < HANG_GUARD, "on {}", pair.name());
        Ok(())
    });
}

#[test]
fn a_silent_client_is_cut_off_at_the_idle_instant() {
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let waited = pair.block_on(vt.clone(), async {
            let addr = addr_of(&start(CONFIG)?)?;
            let start = now();
            let mut stream = TcpStream::connect(addr).await?;
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply).await?;
            assert!(reply.is_empty());
            Ok::<_, Error>(now() - start)
        })??;
        assert_eq!(waited, CONFIG.idle_timeout, "on {}", pair.name());
        Ok(())
    });
}

#[test]
fn a_slowloris_is_cut_off_at_the_header_read_instant() {
    let config = Config {
        header_read_timeout: Duration::from_secs(30),
        ..CONFIG
    };
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let waited = pair.block_on(vt.clone(), async {
            let addr = addr_of(&start(config)?)?;
            let start = now();
            let mut stream = TcpStream::connect(addr).await?;
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await?;
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply).await?;
            assert!(reply.is_empty(), "closed without a reply");
            Ok::<_, Error>(now() - start)
        })??;
        assert_eq!(waited, Duration::from_secs(30), "on {}", pair.name());
        Ok(())
    });
}

#[test]
fn a_request_timeout_and_a_sleep_route_fire_at_their_instants() {
    baton_testing::each_pair!(|pair| {
        let vt = Arc::new(VirtualTime::new(pair.reactor()?));
        let (timed_out, slept) = pair.block_on(vt.clone(), async {
            let base = start(CONFIG)?;
            // The client gives up on an hour-long request after 5 s...
            let slow: Uri = format!("{base}/sleep?ms=3600000").parse().map_err(io)?;
            let start = now();
            let outcome = timeout(Duration::from_secs(5), fetch(&slow, Version::Http1, None)).await;
            assert!(matches!(outcome, Err(Error::Elapsed)), "{outcome:?}");
            let timed_out = now() - start;
            // ... and gets a 1.5 s one, over HTTP/2, after exactly 1.5 s.
            let short: Uri = format!("{base}/sleep?ms=1500").parse().map_err(io)?;
            let start = now();
            let fetched = fetch(&short, Version::Http2, None).await.map_err(io)?;
            assert_eq!(fetched.body, "slept 1500 ms\n");
            Ok::<_, Error>((timed_out, now() - start))
        })??;
        assert_eq!(timed_out, Duration::from_secs(5), "on {}", pair.name());
        assert_eq!(slept, Duration::from_millis(1500), "on {}", pair.name());
        Ok(())
    });
}

/// The address of a `http://ADDR` URL.
fn addr_of(base: &str) -> Result<SocketAddr, Error> {
    base.trim_start_matches("http://").parse().map_err(io)
}

/// Any error as an I/O error of the protocol's `Error`.
fn io(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::from(std::io::Error::other(e))
}
