//! The no-runtime limit: a single-threaded, edge-triggered mio loop, what a
//! runtime's echo server would be with every abstraction taken away.

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpListener;

use mio::net::{TcpListener as MioListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Received bytes not yet written back: `buf[start..end]`.
    start: usize,
    end: usize,
}

impl Conn {
    /// Reads and writes back until the socket would block; `false` when the
    /// connection is over.
    fn drive(&mut self) -> bool {
        loop {
            while self.start < self.end {
                match self.stream.write(&self.buf[self.start..self.end]) {
                    Ok(n) => self.start += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return false,
                }
            }
            match self.stream.read(&mut self.buf) {
                Ok(0) => return false,
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }
}

/// Serves echo on `listener` for ever.
pub(super) fn serve(listener: TcpListener) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut listener = MioListener::from_std(listener);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut events = Events::with_capacity(1024);
    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in &events {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let _ = stream.set_nodelay(true);
                            let slot = free.pop().unwrap_or_else(|| {
                                conns.push(None);
                                conns.len() - 1
                            });
                            poll.registry().register(
                                &mut stream,
                                Token(slot),
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            let mut conn = Conn {
                                stream,
                                buf: vec![0; crate::rt::ECHO_BUFFER],
                                start: 0,
                                end: 0,
                            };
                            if conn.drive() {
                                conns[slot] = Some(conn);
                            } else {
                                free.push(slot);
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        // Out of fds and the like: try again on the next edge.
                        Err(_) => break,
                    }
                }
                continue;
            }
            let slot = event.token().0;
            let done = match conns.get_mut(slot).and_then(Option::as_mut) {
                Some(conn) => !conn.drive(),
                None => false,
            };
            if done && let Some(mut conn) = conns[slot].take() {
                let _ = poll.registry().deregister(&mut conn.stream);
                free.push(slot);
            }
        }
    }
}
