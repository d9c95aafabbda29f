//! Writing RESP2 replies into a connection's output buffer.

use std::io::Write;

/// A connection's pending replies, written to the socket in batches.
#[derive(Debug, Default)]
pub(crate) struct Replies {
    buf: Vec<u8>,
}

impl Replies {
    /// The bytes waiting to be written.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Forgets what was written, keeping a modest buffer.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        if self.buf.capacity() > 1024 * 1024 {
            self.buf.shrink_to(64 * 1024);
        }
    }

    /// `+OK`.
    pub(crate) fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string such as `PONG`.
    pub(crate) fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `-ERR message`, made safe as Redis' `addReplyErrorFormat` does:
    /// line breaks at either end are trimmed and the others become spaces,
    /// so a client-supplied name can never break the protocol.
    pub(crate) fn error(&mut self, message: &[u8]) {
        let is_break = |b: &u8| matches!(b, b'\r' | b'\n');
        let start = message
            .iter()
            .position(|b| !is_break(b))
            .unwrap_or(message.len());
        let end = message
            .iter()
            .rposition(|b| !is_break(b))
            .map_or(start, |i| i + 1);
        self.buf.extend_from_slice(b"-ERR ");
        self.buf.extend(
            message[start..end]
                .iter()
                .map(|&b| if is_break(&b) { b' ' } else { b }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `:n`.
    pub(crate) fn integer(&mut self, n: i64) {
        let _ = write!(self.buf, ":{n}\r\n");
    }

    /// `$len` and the bytes.
    pub(crate) fn bulk(&mut self, bytes: &[u8]) {
        let _ = write!(self.buf, "${}\r\n", bytes.len());
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// The RESP2 null bulk string, `$-1`.
    pub(crate) fn nil(&mut self) {
        self.buf.extend_from_slice(b"$-1\r\n");
    }

    /// An array header, `*n`; the `n` elements follow.
    pub(crate) fn array(&mut self, n: usize) {
        let _ = write!(self.buf, "*{n}\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::Replies;

    #[test]
    fn errors_never_break_lines() {
        let mut r = Replies::default();
        r.error(b"\r\nunknown command 'a\r\nb', x\n");
        assert_eq!(r.as_bytes(), b"-ERR unknown command 'a  b', x\r\n");
    }

    #[test]
    fn encodings() {
        let mut r = Replies::default();
        r.ok();
        r.integer(-3);
        r.bulk(b"hi");
        r.nil();
        r.array(2);
        assert_eq!(r.as_bytes(), b"+OK\r\n:-3\r\n$2\r\nhi\r\n$-1\r\n*2\r\n");
    }
}
