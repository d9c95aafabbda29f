//! The load generator: one single-threaded mio loop driving C connections,
//! each sending an M-byte message and waiting for all of it to come back
//! before sending the next (closed loop). Every server is measured by this
//! same program, so the client's cost is the same for all of them.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::proc;
use crate::workload::{Metrics, metrics};

/// What `baton-bench load` is told.
#[derive(Debug)]
pub(crate) struct LoadArgs {
    /// The echo server.
    pub(crate) addr: SocketAddr,
    /// Connections.
    pub(crate) conns: usize,
    /// Bytes per message.
    pub(crate) size: usize,
    /// Round trips before the measured window, to reach a steady state.
    pub(crate) warmup: Duration,
    /// The measured window.
    pub(crate) window: Duration,
    /// The server's process, whose CPU time is read around the window.
    pub(crate) server_pid: u32,
}

struct Conn {
    stream: TcpStream,
    written: usize,
    read: usize,
}

/// Drives the connections through the warm-up and the window.
///
/// # Return value
///
/// `wall_ns`: the window divided by the round trips of all connections in
/// it; `cpu_ns`: the server's CPU time in the window divided by those round
/// trips; `round_trips`.
///
/// # Errors
///
/// A connection fails or closes, or the server's CPU time cannot be read.
pub(crate) fn run(args: &LoadArgs) -> io::Result<Metrics> {
    let message = vec![0x5a; args.size];
    let mut buf = vec![0; args.size.max(4096)];
    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        let stream = std::net::TcpStream::connect(args.addr)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(stream);
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        conns.push(Conn {
            stream,
            written: 0,
            read: 0,
        });
    }
    let mut round_trips: u64 = 0;
    for conn in &mut conns {
        drive(conn, &message, &mut buf, &mut round_trips)?;
    }
    let mut events = Events::with_capacity(1024);
    let started = Instant::now();
    let mut window: Option<(Instant, u64, u64)> = None;
    loop {
        let now = Instant::now();
        match window {
            None if now >= started + args.warmup => {
                window = Some((now, round_trips, proc::cpu_ns(args.server_pid)?));
            }
            Some((from, trips, cpu)) if now >= from + args.window => {
                let cpu = proc::cpu_ns(args.server_pid)?.saturating_sub(cpu);
                let elapsed = now.duration_since(from).as_nanos() as f64;
                let trips = (round_trips - trips).max(1) as f64;
                return Ok(metrics([
                    ("wall_ns", elapsed / trips),
                    ("cpu_ns", cpu as f64 / trips),
                    ("round_trips", trips),
                ]));
            }
            _ => {}
        }
        match poll.poll(&mut events, Some(Duration::from_millis(5))) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in &events {
            drive(
                &mut conns[event.token().0],
                &message,
                &mut buf,
                &mut round_trips,
            )?;
        }
    }
}

/// Writes and reads until the socket would block, counting completed round
/// trips.
fn drive(conn: &mut Conn, message: &[u8], buf: &mut [u8], round_trips: &mut u64) -> io::Result<()> {
    let size = message.len();
    loop {
        let mut progressed = false;
        if conn.written < size {
            match conn.stream.write(&message[conn.written..]) {
                Ok(n) => {
                    conn.written += n;
                    progressed = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => progressed = true,
                Err(e) => return Err(e),
            }
        }
        let want = (size - conn.read).min(buf.len());
        match conn.stream.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "the server closed a connection",
                ));
            }
            Ok(n) => {
                conn.read += n;
                progressed = true;
                if conn.read == size {
                    *round_trips += 1;
                    conn.read = 0;
                    conn.written = 0;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => progressed = true,
            Err(e) => return Err(e),
        }
        if !progressed {
            return Ok(());
        }
    }
}
