//! Reading requests: RESP2 multibulk arrays and inline commands, parsed
//! incrementally, with Redis' protocol errors and limits.

use std::fmt;
use std::ops::Range;

use super::number::parse_i64;
use super::split::split_args;

/// Redis' `PROTO_INLINE_MAX_SIZE`: the longest inline command, and the
/// longest `*N` / `$N` header line that may stay without its `\r`.
pub const INLINE_MAX: usize = 64 * 1024;

/// The arguments of one command, stored end to end in one buffer that is
/// reused from one command to the next.
#[derive(Debug, Default)]
pub(crate) struct Args {
    data: Vec<u8>,
    bounds: Vec<Range<usize>>,
}

impl Args {
    /// The number of arguments (the command name included).
    pub(crate) fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Argument `i`; the empty slice past the end.
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        self.bounds.get(i).map_or(&[], |r| &self.data[r.clone()])
    }

    /// Every argument in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.bounds.iter().map(|r| &self.data[r.clone()])
    }

    /// Bytes held, for the query-buffer limit: argument bytes plus their
    /// bookkeeping.
    pub(crate) fn footprint(&self) -> usize {
        self.data.len() + self.bounds.len() * size_of::<Range<usize>>()
    }

    /// Appends a whole argument.
    fn push(&mut self, arg: &[u8]) {
        let start = self.data.len();
        self.data.extend_from_slice(arg);
        self.bounds.push(start..self.data.len());
    }

    /// Starts an empty argument that [`push_byte`](Args::push_byte) extends.
    pub(super) fn start(&mut self) {
        let at = self.data.len();
        self.bounds.push(at..at);
    }

    /// Appends a byte to the last argument.
    pub(super) fn push_byte(&mut self, b: u8) {
        self.data.push(b);
        if let Some(last) = self.bounds.last_mut() {
            last.end = self.data.len();
        }
    }

    /// Forgets the arguments, keeping modest buffers for the next command.
    fn clear(&mut self) {
        self.data.clear();
        self.bounds.clear();
        // One huge command must not pin its memory for the connection's life.
        if self.data.capacity() > INLINE_MAX {
            self.data.shrink_to(INLINE_MAX);
        }
        if self.bounds.capacity() > 1024 {
            self.bounds.shrink_to(1024);
        }
    }
}

/// The limits a request must keep to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtoLimits {
    /// The longest bulk string (Redis' `proto-max-bulk-len`); a longer `$N`
    /// is `Protocol error: invalid bulk length`.
    pub max_bulk_len: usize,
    /// The most arguments in one multibulk command; more is
    /// `Protocol error: invalid multibulk length` (the limit and error
    /// Redis had before 6.0; 7.0 accepts up to 2³¹ − 1 and relies on its
    /// query-buffer limit).
    pub max_args: usize,
}

/// A malformed request: Redis replies `-ERR Protocol error: …` and closes
/// the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProtocolError {
    /// `*` with no `\r` in the next 64 KiB.
    TooBigMbulkCount,
    /// `*N` where N is not an integer, or too large.
    InvalidMultibulkLength,
    /// `$` with no `\r` in the next 64 KiB.
    TooBigBulkCount,
    /// A multibulk element that does not start with `$`.
    ExpectedDollar(u8),
    /// `$N` where N is not an integer, negative, or too large.
    InvalidBulkLength,
    /// An inline command with no `\n` in the first 64 KiB.
    TooBigInline,
    /// An inline command with unbalanced quotes.
    UnbalancedQuotes,
}

impl ProtocolError {
    /// The text after `-ERR `, byte for byte what Redis 7 sends.
    pub(crate) fn message(self) -> Vec<u8> {
        let text: &[u8] = match self {
            ProtocolError::TooBigMbulkCount => b"too big mbulk count string",
            ProtocolError::InvalidMultibulkLength => b"invalid multibulk length",
            ProtocolError::TooBigBulkCount => b"too big bulk count string",
            ProtocolError::ExpectedDollar(got) => {
                return [&b"Protocol error: expected '$', got '"[..], &[got, b'\'']].concat();
            }
            ProtocolError::InvalidBulkLength => b"invalid bulk length",
            ProtocolError::TooBigInline => b"too big inline request",
            ProtocolError::UnbalancedQuotes => b"unbalanced quotes in request",
        };
        [&b"Protocol error: "[..], text].concat()
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.message()))
    }
}

/// Where the parser is within a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between requests.
    Idle,
    /// Inside a multibulk array: `remaining` elements to go; `bulk` is the
    /// length of the element whose `$N` header was read, if any.
    Multibulk {
        remaining: usize,
        bulk: Option<usize>,
    },
}

/// Parses requests out of a connection's input, one at a time, keeping its
/// place across reads so a request split over many reads is scanned once.
#[derive(Debug)]
pub(crate) struct RequestParser {
    limits: ProtoLimits,
    state: State,
    args: Args,
}

impl RequestParser {
    pub(crate) fn new(limits: ProtoLimits) -> RequestParser {
        RequestParser {
            limits,
            state: State::Idle,
            args: Args::default(),
        }
    }

    /// The arguments of the request [`advance`](RequestParser::advance)
    /// completed; empty for Redis' no-op requests (`*0`, `*-1`, a blank
    /// inline line).
    pub(crate) fn args(&self) -> &Args {
        &self.args
    }

    /// Bytes held for a request in progress.
    pub(crate) fn footprint(&self) -> usize {
        self.args.footprint()
    }

    /// How many more input bytes the request in progress needs at least,
    /// when that is known (inside a bulk string): a hint for read sizes.
    pub(crate) fn wanted(&self, available: usize) -> usize {
        match self.state {
            State::Multibulk {
                bulk: Some(len), ..
            } => (len + 2).saturating_sub(available),
            _ => 0,
        }
    }

    /// Parses from `input[*pos..]`, moving `*pos` past what it consumed.
    ///
    /// # Return value
    ///
    /// `Ok(true)` when a request is complete: read it with
    /// [`args`](RequestParser::args), then call
    /// [`finish`](RequestParser::finish). `Ok(false)` when more input is
    /// needed; the parser keeps what it parsed so far.
    ///
    /// # Errors
    ///
    /// The protocol error Redis would report; the connection must be closed
    /// after replying it.
    pub(crate) fn advance(&mut self, input: &[u8], pos: &mut usize) -> Result<bool, ProtocolError> {
        if self.state == State::Idle {
            match input.get(*pos) {
                None => return Ok(false),
                Some(b'*') => {}
                Some(_) => return self.inline(input, pos),
            }
            let Some(line) = header_line(input, *pos) else {
                return if input.len() - *pos > INLINE_MAX {
                    Err(ProtocolError::TooBigMbulkCount)
                } else {
                    Ok(false)
                };
            };
            let count = match parse_i64(&input[*pos + 1..line]) {
                Some(n) if n <= i64::from(i32::MAX) => n,
                _ => return Err(ProtocolError::InvalidMultibulkLength),
            };
            if count > 0 && count as u64 > self.limits.max_args as u64 {
                return Err(ProtocolError::InvalidMultibulkLength);
            }
            *pos = line + 2;
            if count <= 0 {
                return Ok(true);
            }
            self.state = State::Multibulk {
                remaining: count as usize,
                bulk: None,
            };
        }
        while let State::Multibulk { remaining, bulk } = self.state {
            if remaining == 0 {
                self.state = State::Idle;
                return Ok(true);
            }
            let len = match bulk {
                Some(len) => len,
                None => {
                    let Some(line) = header_line(input, *pos) else {
                        return if input.len() - *pos > INLINE_MAX {
                            Err(ProtocolError::TooBigBulkCount)
                        } else {
                            Ok(false)
                        };
                    };
                    if input[*pos] != b'$' {
                        return Err(ProtocolError::ExpectedDollar(input[*pos]));
                    }
                    let len = match parse_i64(&input[*pos + 1..line]) {
                        Some(n) if n >= 0 && n as u64 <= self.limits.max_bulk_len as u64 => {
                            n as usize
                        }
                        _ => return Err(ProtocolError::InvalidBulkLength),
                    };
                    *pos = line + 2;
                    self.state = State::Multibulk {
                        remaining,
                        bulk: Some(len),
                    };
                    len
                }
            };
            // The data and two bytes after it, which Redis skips without
            // checking that they are `\r\n`.
            if input.len() - *pos < len + 2 {
                return Ok(false);
            }
            self.args.push(&input[*pos..*pos + len]);
            *pos += len + 2;
            self.state = State::Multibulk {
                remaining: remaining - 1,
                bulk: None,
            };
        }
        Ok(false)
    }

    /// Parses an inline command: one line, split like `sdssplitargs`.
    fn inline(&mut self, input: &[u8], pos: &mut usize) -> Result<bool, ProtocolError> {
        let rest = &input[*pos..];
        let Some(newline) = find_before_nul(rest, b'\n') else {
            return if rest.len() > INLINE_MAX {
                Err(ProtocolError::TooBigInline)
            } else {
                Ok(false)
            };
        };
        let line = &rest[..newline];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !split_args(line, &mut self.args) {
            return Err(ProtocolError::UnbalancedQuotes);
        }
        *pos += newline + 1;
        Ok(true)
    }

    /// Forgets the completed request, ready for the next.
    pub(crate) fn finish(&mut self) {
        self.args.clear();
        self.state = State::Idle;
    }
}

/// The index of the `\r` ending the header line that starts at `pos`, if
/// the line and one byte after the `\r` (Redis does not check that it is
/// `\n`) are in `input`.
fn header_line(input: &[u8], pos: usize) -> Option<usize> {
    let cr = pos + find_before_nul(&input[pos..], b'\r')?;
    (cr + 2 <= input.len()).then_some(cr)
}

/// The first `byte` in `bytes` before any NUL: Redis searches its query
/// buffer with `strchr`, which stops at a NUL, so a NUL in a header or
/// inline line makes it wait for more input as if the line had not ended.
fn find_before_nul(bytes: &[u8], byte: u8) -> Option<usize> {
    let at = bytes.iter().position(|&b| b == byte || b == 0)?;
    (bytes[at] == byte).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::{ProtoLimits, ProtocolError, RequestParser};

    const LIMITS: ProtoLimits = ProtoLimits {
        max_bulk_len: 100,
        max_args: 8,
    };

    /// Every request in `input`, fed in pieces of `chunk` bytes.
    fn parse(input: &[u8], chunk: usize) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut parser = RequestParser::new(LIMITS);
        let mut buf = Vec::new();
        let mut pos = 0;
        let mut out = Vec::new();
        for piece in input.chunks(chunk) {
            buf.extend_from_slice(piece);
            while parser.advance(&buf, &mut pos)? {
                out.push(parser.args().iter().map(<[u8]>::to_vec).collect());
                parser.finish();
            }
        }
        Ok(out)
    }

    fn strings(requests: &[&[&str]]) -> Vec<Vec<Vec<u8>>> {
        requests
            .iter()
            .map(|r| r.iter().map(|a| a.as_bytes().to_vec()).collect())
            .collect()
    }

    #[test]
    fn multibulk_in_any_split() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*1\r\n$4\r\nPING\r\n";
        for chunk in 1..=input.len() {
            assert_eq!(
                parse(input, chunk),
                Ok(strings(&[&["SET", "k", "hello"], &["PING"]])),
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn inline_and_empty_requests() {
        let input = b"PING\r\n\r\n*0\r\n*-1\r\necho \"a b\"\n";
        assert_eq!(
            parse(input, input.len()),
            Ok(strings(&[&["PING"], &[], &[], &[], &["echo", "a b"]]))
        );
    }

    #[test]
    fn protocol_errors() {
        let cases: [(&[u8], ProtocolError); 8] = [
            (b"*abc\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*01\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*9\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*1\r\n+PING\r\n", ProtocolError::ExpectedDollar(b'+')),
            (b"*1\r\n$-1\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$101\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$04\r\n", ProtocolError::InvalidBulkLength),
            (b"echo \"a\r\n", ProtocolError::UnbalancedQuotes),
        ];
        for (input, error) in cases {
            assert_eq!(parse(input, input.len()), Err(error), "{input:?}");
        }
    }

    #[test]
    fn header_without_cr_is_bounded() {
        let mut input = b"*1".to_vec();
        input.resize(super::INLINE_MAX + 10, b'1');
        assert_eq!(parse(&input, 4096), Err(ProtocolError::TooBigMbulkCount));
        let mut input = b"GET ".to_vec();
        input.resize(super::INLINE_MAX + 10, b'k');
        assert_eq!(parse(&input, 4096), Err(ProtocolError::TooBigInline));
    }

    #[test]
    fn messages_match_redis() {
        assert_eq!(
            ProtocolError::ExpectedDollar(b'x').message(),
            b"Protocol error: expected '$', got 'x'"
        );
        assert_eq!(
            ProtocolError::InvalidBulkLength.message(),
            b"Protocol error: invalid bulk length"
        );
    }
}
