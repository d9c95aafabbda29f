//! Reading lines of bounded length from a stream.

use std::io;

use baton_protocol::net::TcpStream;
use futures_lite::AsyncReadExt;

/// The most read at once.
const READ_CHUNK: usize = 16 * 1024;

/// What [`LineReader::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// A complete line, without its `\n` (nor a `\r` before it).
    Text(Vec<u8>),
    /// The peer closed its side; an unterminated last line is dropped.
    End,
    /// More than the limit arrived without a line break.
    TooLong,
}

/// Splits a stream into lines of at most `max` bytes, holding at most
/// about `max` bytes however the peer behaves.
#[derive(Debug)]
pub(super) struct LineReader {
    buf: Vec<u8>,
    /// Bytes before `start` were returned already.
    start: usize,
    max: usize,
}

impl LineReader {
    pub(super) fn new(max: usize) -> LineReader {
        LineReader {
            buf: Vec::new(),
            start: 0,
            max,
        }
    }

    /// The next line.
    ///
    /// # Errors
    ///
    /// The stream's read error.
    pub(super) async fn next(&mut self, stream: &TcpStream) -> io::Result<Line> {
        let mut scanned = 0;
        loop {
            let pending = &self.buf[self.start..];
            if let Some(i) = pending[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + i;
                let line = pending[..end]
                    .strip_suffix(b"\r")
                    .unwrap_or(&pending[..end]);
                if line.len() > self.max {
                    return Ok(Line::TooLong);
                }
                let line = line.to_vec();
                self.start += end + 1;
                return Ok(Line::Text(line));
            }
            // `\r` may still precede a `\n` to come: one byte of slack.
            if pending.len() > self.max + 1 {
                return Ok(Line::TooLong);
            }
            scanned = pending.len();
            self.buf.drain(..self.start);
            self.start = 0;
            let len = self.buf.len();
            // Up to the limit (and its slack), in modest reads: a large
            // limit must not cost every connection that much memory.
            let room = (self.max + 2 - len).clamp(1, READ_CHUNK);
            self.buf.resize(len + room, 0);
            let mut reader = stream;
            let read = reader.read(&mut self.buf[len..]).await;
            self.buf.truncate(len + *read.as_ref().unwrap_or(&0));
            if read? == 0 {
                return Ok(Line::End);
            }
        }
    }
}
