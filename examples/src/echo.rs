//! A TCP echo server, and a client that measures round trips per second.
//!
//! The server writes back every byte it reads, one task per connection. The
//! client opens `connections` connections and, on each, sends a message of
//! `size` bytes, reads the echo back, checks it byte for byte, and repeats,
//! for a number of round trips or for a duration; it reports the total, the
//! rate and the mean round-trip time.
//!
//! Both are written against `baton-protocol` only: the `echo` binary picks
//! the reactor and executor (see [`baton::RuntimeOptions`]).
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use baton_examples::echo::{ClientConfig, Limit, run_client, serve};
//! use baton_protocol::net::TcpListener;
//!
//! # async fn demo() -> Result<(), baton_protocol::Error> {
//! let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//! let addr = listener.local_addr()?;
//! baton_protocol::spawn(async move { serve(&listener).await })?.detach();
//!
//! let config = ClientConfig::new(addr, Limit::Count(1000));
//! let report = run_client(&config).await?;
//! assert_eq!(report.round_trips, 1000);
//! println!("{report}");
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use baton_protocol::net::{TcpListener, TcpStream};
use baton_protocol::time::timeout;
use baton_protocol::{Error, Handle, spawn};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

use crate::server::{accept_loop, is_disconnect};

/// The server's read buffer: one read, one write back.
const BUFFER: usize = 16 * 1024;

/// Serves echo connections on `listener` until the runtime shuts down.
///
/// # Errors
///
/// Only what ends the runtime: [`Error::Shutdown`], or a listener closed
/// through the protocol. A failed `accept` is printed and accepting goes on.
pub async fn serve(listener: &TcpListener) -> Result<(), Error> {
    accept_loop(listener, |stream, peer| async move {
        if let Err(e) = echo(&stream).await
            && !is_disconnect(&e)
        {
            eprintln!("echo: {peer}: {e}");
        }
    })
    .await
}

/// Writes back what `stream` sends until it closes its side.
async fn echo(stream: &TcpStream) -> io::Result<()> {
    let mut buf = vec![0; BUFFER];
    let (mut reader, mut writer) = (stream, stream);
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        writer.write_all(&buf[..n]).await?;
    }
}

/// When the client stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// After this many round trips in all, shared out among the
    /// connections.
    Count(u64),
    /// After this long (each connection finishes its round trip in flight).
    Duration(Duration),
}

/// What the client does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// The server.
    pub addr: SocketAddr,
    /// Connections, each running round trips one after the other.
    pub connections: usize,
    /// Bytes per message.
    pub size: usize,
    /// When to stop.
    pub limit: Limit,
    /// The longest a connect or one round trip may take before the client
    /// gives up with [`Error::Elapsed`].
    pub io_timeout: Duration,
}

impl ClientConfig {
    /// One connection, 64-byte messages, a 10 s I/O timeout.
    pub fn new(addr: SocketAddr, limit: Limit) -> ClientConfig {
        ClientConfig {
            addr,
            connections: 1,
            size: 64,
            limit,
            io_timeout: Duration::from_secs(10),
        }
    }
}

/// What the client measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    /// Round trips completed, each checked byte for byte.
    pub round_trips: u64,
    /// Connections used.
    pub connections: usize,
    /// Bytes per message.
    pub size: usize,
    /// From the first connect to the last echo, on the reactor's clock.
    pub elapsed: Duration,
}

impl Report {
    /// Round trips per second (0 when nothing was measured).
    pub fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.round_trips as f64 / secs
        } else {
            0.0
        }
    }

    /// The mean time of one round trip on one connection.
    pub fn mean_round_trip(&self) -> Duration {
        if self.round_trips == 0 {
            return Duration::ZERO;
        }
        let per_connection = self.round_trips as f64 / self.connections.max(1) as f64;
        Duration::from_secs_f64(self.elapsed.as_secs_f64() / per_connection)
    }
}

impl fmt::Display for Report {
    /// `20000 round trips in 1.234 s: 16207 round trips/s, mean 0.247 ms
    /// (4 connections x 64 bytes)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} round trips in {:.3} s: {:.0} round trips/s, mean {:.3} ms ({} connections x {} bytes)",
            self.round_trips,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.mean_round_trip().as_secs_f64() * 1e3,
            self.connections,
            self.size,
        )
    }
}

/// Runs the client: `config.connections` tasks, each connecting and then
/// running round trips until the limit.
///
/// # Errors
///
/// The first connection's failure: a connect or I/O error,
/// [`Error::Elapsed`] after `io_timeout` without progress, or an
/// [`Error::Io`] of kind `InvalidData` if an echo differs from what was
/// sent. [`Error::InvalidState`] for zero connections.
pub async fn run_client(config: &ClientConfig) -> Result<Report, Error> {
    if config.connections == 0 {
        return Err(Error::InvalidState("the echo client needs a connection"));
    }
    let reactor = Handle::current()?.reactor().clone();
    let start = reactor.now();
    let mut tasks = Vec::with_capacity(config.connections);
    for index in 0..config.connections {
        let quota = match config.limit {
            Limit::Count(total) => {
                let n = config.connections as u64;
                let i = index as u64;
                Quota::Count(total / n + u64::from(i < total % n))
            }
            Limit::Duration(duration) => Quota::Until(start + duration),
        };
        let config = *config;
        tasks.push(spawn(
            async move { connection(&config, index, quota).await },
        )?);
    }
    let mut round_trips = 0;
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok(n)) => round_trips += n,
            Ok(Err(e)) | Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(Report {
        round_trips,
        connections: config.connections,
        size: config.size,
        elapsed: reactor.now().saturating_duration_since(start),
    })
}

/// One connection's share of the work.
#[derive(Clone, Copy, Debug)]
enum Quota {
    Count(u64),
    Until(Instant),
}

/// Runs one connection's round trips; returns how many it completed.
async fn connection(config: &ClientConfig, index: usize, quota: Quota) -> Result<u64, Error> {
    let reactor = Handle::current()?.reactor().clone();
    let stream = timeout(config.io_timeout, TcpStream::connect(config.addr)).await??;
    stream.set_nodelay(true)?;
    let mut message = vec![0; config.size];
    let mut echo = vec![0; config.size];
    let mut done = 0u64;
    loop {
        let more = match quota {
            Quota::Count(n) => done < n,
            Quota::Until(end) => reactor.now() < end,
        };
        if !more {
            return Ok(done);
        }
        fill(&mut message, index, done);
        timeout(config.io_timeout, round_trip(&stream, &message, &mut echo)).await??;
        if echo != message {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("connection {index}: round trip {done} came back different"),
            )));
        }
        done += 1;
    }
}

/// Sends `message` and reads as many bytes back into `echo`.
async fn round_trip(stream: &TcpStream, message: &[u8], echo: &mut [u8]) -> io::Result<()> {
    let (mut reader, mut writer) = (stream, stream);
    writer.write_all(message).await?;
    reader.read_exact(echo).await
}

/// A message that differs from one round trip and connection to the next,
/// so that bytes echoed to the wrong place or out of order are caught.
fn fill(message: &mut [u8], connection: usize, round_trip: u64) {
    let seed = (connection as u64)
        .wrapping_mul(0x9e37_79b9)
        .wrapping_add(round_trip);
    for (i, byte) in message.iter_mut().enumerate() {
        *byte = seed.wrapping_add(i as u64).wrapping_mul(31) as u8;
    }
}
