//! `resp`: byte-for-byte Redis replies, pipelining, protocol errors and
//! limits over raw sockets, expiry on the runtime's timers, and the real
//! Redis tools (`redis-benchmark`, `redis-cli`) on every reactor × executor.

mod proc;

use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use proc::{Conn, GUARD, Server, run, runtimes};

const RESP: &str = env!("CARGO_BIN_EXE_resp");

/// A RESP multibulk request of the given arguments.
macro_rules! cmd {
    ($($arg:expr),* $(,)?) => {
        encode(&[$(&$arg[..]),*])
    };
}

fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// What a request must get back.
enum Reply {
    /// These bytes exactly.
    Exact(&'static [u8]),
    /// `:n` seconds of TTL, or one less if a slow machine let a rounding
    /// boundary pass.
    Ttl(i64),
}

use Reply::{Exact, Ttl};

/// Sends `request` and checks the reply.
fn check(conn: &mut Conn, request: &[u8], reply: &Reply) {
    conn.send(request);
    let shown = String::from_utf8_lossy(request);
    match reply {
        Exact(expected) => {
            let got = conn.read_n(expected.len());
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(expected),
                "request {shown:?}"
            );
        }
        Ttl(n) => {
            let line = conn.line();
            let got: i64 = line
                .strip_prefix(':')
                .and_then(|l| l.trim_end().parse().ok())
                .unwrap_or_else(|| panic!("request {shown:?}: {line:?}"));
            assert!(
                got == *n || got == n - 1,
                "request {shown:?}: TTL {got}, expected {n}"
            );
        }
    }
}

/// Requests and the replies `redis-server` 7.0.15 gave to each, in order
/// on one connection (captured with a raw socket; TTLs as read at once).
fn redis_transcript() -> Vec<(Vec<u8>, Reply)> {
    vec![
        (cmd!(b"FLUSHDB"), Exact(b"+OK\r\n")),
        (b"PING\r\n".to_vec(), Exact(b"+PONG\r\n")),
        (cmd!(b"PING", b"hi"), Exact(b"$2\r\nhi\r\n")),
        (cmd!(b"ping", b""), Exact(b"$0\r\n\r\n")),
        (
            b"ECHO \"a\\x41\\n\" \r\n".to_vec(),
            Exact(b"$3\r\naA\n\r\n"),
        ),
        (cmd!(b"ECHO", b"a\0b"), Exact(b"$3\r\na\0b\r\n")),
        (b"\r\n".to_vec(), Exact(b"")),
        (b"*0\r\n".to_vec(), Exact(b"")),
        (b"*-1\r\n".to_vec(), Exact(b"")),
        (cmd!(b"GET", b"k"), Exact(b"$-1\r\n")),
        (cmd!(b"SET", b"k", b"v"), Exact(b"+OK\r\n")),
        (cmd!(b"GET", b"k"), Exact(b"$1\r\nv\r\n")),
        (cmd!(b"SET", b"k", b"w", b"GET"), Exact(b"$1\r\nv\r\n")),
        (cmd!(b"set", b"k", b"x", b"nx"), Exact(b"$-1\r\n")),
        (
            cmd!(b"SET", b"k", b"x", b"xx", b"get"),
            Exact(b"$1\r\nw\r\n"),
        ),
        (cmd!(b"SET", b"n", b"1", b"NX"), Exact(b"+OK\r\n")),
        (cmd!(b"SET", b"none", b"1", b"XX"), Exact(b"$-1\r\n")),
        (cmd!(b"GET", b"none"), Exact(b"$-1\r\n")),
        (
            cmd!(b"SET", b"k", b"v", b"nx", b"xx"),
            Exact(b"-ERR syntax error\r\n"),
        ),
        (
            cmd!(b"SET", b"k", b"v", b"EX", b"1", b"PX", b"1"),
            Exact(b"-ERR syntax error\r\n"),
        ),
        (
            cmd!(b"SET", b"k", b"v", b"EX"),
            Exact(b"-ERR syntax error\r\n"),
        ),
        (
            cmd!(b"SET", b"k", b"v", b"EX", b"0"),
            Exact(b"-ERR invalid expire time in 'set' command\r\n"),
        ),
        (
            cmd!(b"SET", b"k", b"v", b"PX", b"-5"),
            Exact(b"-ERR invalid expire time in 'set' command\r\n"),
        ),
        (
            cmd!(b"SET", b"k", b"v", b"EX", b"abc"),
            Exact(b"-ERR value is not an integer or out of range\r\n"),
        ),
        (
            cmd!(b"SET", b"k", b"v", b"EX", b"+5"),
            Exact(b"-ERR value is not an integer or out of range\r\n"),
        ),
        (
            cmd!(b"SET", b"k", b"v", b"EX", b"9223372036854775"),
            Exact(b"-ERR invalid expire time in 'set' command\r\n"),
        ),
        (
            cmd!(b"SET", b"k", b"v", b"KEEPTTL", b"EX", b"5"),
            Exact(b"-ERR syntax error\r\n"),
        ),
        (
            cmd!(b"SET", b"k", b"v", b"bogus"),
            Exact(b"-ERR syntax error\r\n"),
        ),
        (cmd!(b"SET", b"t", b"v", b"EX", b"100"), Exact(b"+OK\r\n")),
        (cmd!(b"TTL", b"t"), Ttl(100)),
        (cmd!(b"SET", b"t", b"w", b"KEEPTTL"), Exact(b"+OK\r\n")),
        (cmd!(b"TTL", b"t"), Ttl(100)),
        (cmd!(b"SET", b"t", b"w"), Exact(b"+OK\r\n")),
        (cmd!(b"TTL", b"t"), Exact(b":-1\r\n")),
        (cmd!(b"TTL", b"nokey"), Exact(b":-2\r\n")),
        (
            cmd!(b"SET", b"t", b"v", b"PX", b"100000"),
            Exact(b"+OK\r\n"),
        ),
        (cmd!(b"TTL", b"t"), Ttl(100)),
        (
            cmd!(b"SET", b"t", b"v", b"EX", b"10", b"EX", b"20"),
            Exact(b"+OK\r\n"),
        ),
        (cmd!(b"TTL", b"t"), Ttl(20)),
        (
            cmd!(b"SET", b"gone", b"v", b"EXAT", b"1"),
            Exact(b"+OK\r\n"),
        ),
        (cmd!(b"GET", b"gone"), Exact(b"$-1\r\n")),
        (cmd!(b"EXISTS", b"gone"), Exact(b":0\r\n")),
        (
            cmd!(b"SET", b"k", b"v", b"PXAT", b"0"),
            Exact(b"-ERR invalid expire time in 'set' command\r\n"),
        ),
        (cmd!(b"DEL", b"k", b"k", b"nokey"), Exact(b":1\r\n")),
        (cmd!(b"EXISTS", b"t", b"t", b"nokey"), Exact(b":2\r\n")),
        (
            cmd!(b"DEL"),
            Exact(b"-ERR wrong number of arguments for 'del' command\r\n"),
        ),
        (cmd!(b"INCR", b"c"), Exact(b":1\r\n")),
        (cmd!(b"INCR", b"c"), Exact(b":2\r\n")),
        (cmd!(b"DECR", b"c"), Exact(b":1\r\n")),
        (cmd!(b"DECR", b"d"), Exact(b":-1\r\n")),
        (cmd!(b"GET", b"c"), Exact(b"$1\r\n1\r\n")),
        (
            cmd!(b"SET", b"c", b"9223372036854775807"),
            Exact(b"+OK\r\n"),
        ),
        (
            cmd!(b"INCR", b"c"),
            Exact(b"-ERR increment or decrement would overflow\r\n"),
        ),
        (
            cmd!(b"SET", b"c", b"-9223372036854775808"),
            Exact(b"+OK\r\n"),
        ),
        (
            cmd!(b"DECR", b"c"),
            Exact(b"-ERR increment or decrement would overflow\r\n"),
        ),
        (cmd!(b"SET", b"c", b"01"), Exact(b"+OK\r\n")),
        (
            cmd!(b"INCR", b"c"),
            Exact(b"-ERR value is not an integer or out of range\r\n"),
        ),
        (cmd!(b"SET", b"c", b" 1"), Exact(b"+OK\r\n")),
        (
            cmd!(b"INCR", b"c"),
            Exact(b"-ERR value is not an integer or out of range\r\n"),
        ),
        (cmd!(b"SET", b"c", b"abc"), Exact(b"+OK\r\n")),
        (
            cmd!(b"DECR", b"c"),
            Exact(b"-ERR value is not an integer or out of range\r\n"),
        ),
        (cmd!(b"SET", b"c", b"5", b"EX", b"100"), Exact(b"+OK\r\n")),
        (cmd!(b"INCR", b"c"), Exact(b":6\r\n")),
        (cmd!(b"TTL", b"c"), Ttl(100)),
        (
            cmd!(b"INCR", b"c", b"d"),
            Exact(b"-ERR wrong number of arguments for 'incr' command\r\n"),
        ),
        (cmd!(b"MSET", b"a", b"1", b"b", b"2"), Exact(b"+OK\r\n")),
        (
            cmd!(b"MGET", b"a", b"nokey", b"b"),
            Exact(b"*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n"),
        ),
        (
            cmd!(b"MSET", b"a"),
            Exact(b"-ERR wrong number of arguments for 'mset' command\r\n"),
        ),
        (
            cmd!(b"MSET", b"a", b"1", b"b"),
            Exact(b"-ERR wrong number of arguments for 'mset' command\r\n"),
        ),
        (
            cmd!(b"MGET"),
            Exact(b"-ERR wrong number of arguments for 'mget' command\r\n"),
        ),
        (cmd!(b"SET", b"e", b"v"), Exact(b"+OK\r\n")),
        (cmd!(b"EXPIRE", b"e", b"100", b"GT"), Exact(b":0\r\n")),
        (cmd!(b"EXPIRE", b"e", b"100", b"XX"), Exact(b":0\r\n")),
        (cmd!(b"EXPIRE", b"e", b"100", b"LT"), Exact(b":1\r\n")),
        (cmd!(b"TTL", b"e"), Ttl(100)),
        (cmd!(b"EXPIRE", b"e", b"50", b"NX"), Exact(b":0\r\n")),
        (
            cmd!(b"EXPIRE", b"e", b"200", b"xx", b"gt"),
            Exact(b":1\r\n"),
        ),
        (cmd!(b"TTL", b"e"), Ttl(200)),
        (cmd!(b"EXPIRE", b"e", b"150", b"LT"), Exact(b":1\r\n")),
        (cmd!(b"TTL", b"e"), Ttl(150)),
        (
            cmd!(b"EXPIRE", b"e", b"abc"),
            Exact(b"-ERR value is not an integer or out of range\r\n"),
        ),
        (
            cmd!(b"EXPIRE", b"e", b"10", b"foo"),
            Exact(b"-ERR Unsupported option foo\r\n"),
        ),
        (
            cmd!(b"EXPIRE", b"e", b"abc", b"foo"),
            Exact(b"-ERR Unsupported option foo\r\n"),
        ),
        (
            cmd!(b"EXPIRE", b"e", b"10", b"nx", b"xx"),
            Exact(b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"),
        ),
        (
            cmd!(b"EXPIRE", b"e", b"10", b"GT", b"LT"),
            Exact(b"-ERR GT and LT options at the same time are not compatible\r\n"),
        ),
        (
            cmd!(b"EXPIRE", b"e", b"9223372036854775807"),
            Exact(b"-ERR invalid expire time in 'expire' command\r\n"),
        ),
        (
            cmd!(b"EXPIRE", b"e", b"-9223372036854775808"),
            Exact(b"-ERR invalid expire time in 'expire' command\r\n"),
        ),
        (cmd!(b"EXPIRE", b"nokey", b"10"), Exact(b":0\r\n")),
        (
            cmd!(b"EXPIRE", b"e", b"10", b"op\0t"),
            Exact(b"-ERR Unsupported option op\r\n"),
        ),
        (cmd!(b"EXPIRE", b"e", b"-1"), Exact(b":1\r\n")),
        (cmd!(b"EXISTS", b"e"), Exact(b":0\r\n")),
        (
            cmd!(b"EXPIRE", b"e"),
            Exact(b"-ERR wrong number of arguments for 'expire' command\r\n"),
        ),
        (
            cmd!(b"SET", b"far", b"1", b"EX", b"9223372036854"),
            Exact(b"+OK\r\n"),
        ),
        (cmd!(b"TTL", b"far"), Ttl(9223372036854)),
        (cmd!(b"DBSIZE"), Exact(b":7\r\n")),
        (
            cmd!(b"DBSIZE", b"x"),
            Exact(b"-ERR wrong number of arguments for 'dbsize' command\r\n"),
        ),
        (cmd!(b"FLUSHDB", b"foo"), Exact(b"-ERR syntax error\r\n")),
        (
            cmd!(b"FLUSHDB", b"sync", b"x"),
            Exact(b"-ERR syntax error\r\n"),
        ),
        (cmd!(b"FLUSHDB", b"ASYNC"), Exact(b"+OK\r\n")),
        (cmd!(b"DBSIZE"), Exact(b":0\r\n")),
        (cmd!(b"FLUSHDB", b"SYNC"), Exact(b"+OK\r\n")),
        (
            cmd!(b"GET"),
            Exact(b"-ERR wrong number of arguments for 'get' command\r\n"),
        ),
        (
            cmd!(b"GET", b"a", b"b"),
            Exact(b"-ERR wrong number of arguments for 'get' command\r\n"),
        ),
        (
            cmd!(b"SET", b"a"),
            Exact(b"-ERR wrong number of arguments for 'set' command\r\n"),
        ),
        (
            cmd!(b"ECHO"),
            Exact(b"-ERR wrong number of arguments for 'echo' command\r\n"),
        ),
        (
            cmd!(b"ping", b"a", b"b"),
            Exact(b"-ERR wrong number of arguments for 'ping' command\r\n"),
        ),
        (
            cmd!(b"TTL"),
            Exact(b"-ERR wrong number of arguments for 'ttl' command\r\n"),
        ),
        (
            cmd!(b"INCR"),
            Exact(b"-ERR wrong number of arguments for 'incr' command\r\n"),
        ),
        (
            cmd!(b"DEL"),
            Exact(b"-ERR wrong number of arguments for 'del' command\r\n"),
        ),
        (
            cmd!(b"EXISTS"),
            Exact(b"-ERR wrong number of arguments for 'exists' command\r\n"),
        ),
        (
            cmd!(b"DECR", b"a", b"b"),
            Exact(b"-ERR wrong number of arguments for 'decr' command\r\n"),
        ),
        (
            b"foo a b\r\n".to_vec(),
            Exact(b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"),
        ),
        (
            cmd!(b"fo\r\no", b"a\rb", b"c\nd"),
            Exact(b"-ERR unknown command 'fo  o', with args beginning with: 'a b' 'c d' \r\n"),
        ),
        (
            cmd!(b"\r\nfoo", b"x\r\n"),
            Exact(b"-ERR unknown command '  foo', with args beginning with: 'x  ' \r\n"),
        ),
        (
            cmd!(b"foo\0bar", b"x\0y", b"z"),
            Exact(b"-ERR unknown command 'foo', with args beginning with: 'x' 'z' \r\n"),
        ),
        (
            cmd!(b""),
            Exact(b"-ERR unknown command '', with args beginning with: \r\n"),
        ),
        (
            cmd!(b"ping\0x"),
            Exact(b"-ERR unknown command 'ping', with args beginning with: \r\n"),
        ),
    ]
}

#[test]
fn replies_match_redis_on_every_runtime() {
    for runtime in runtimes() {
        let server = Server::start(RESP, &runtime);
        let mut conn = server.connect();
        for (request, reply) in redis_transcript() {
            check(&mut conn, &request, &reply);
        }
        // Nothing extra was sent: the next reply is the next request's.
        check(&mut conn, b"PING\r\n", &Exact(b"+PONG\r\n"));
    }
}

#[test]
fn unknown_commands_are_quoted_as_redis_cuts_them() {
    let server = Server::start(RESP, &[]);
    let mut conn = server.connect();
    // The name is cut to 128 bytes; arguments are listed while the list is
    // under 128 bytes, the last one cut to fit.
    let expected = [
        &b"-ERR unknown command '"[..],
        &[b'x'; 128],
        b"', with args beginning with: '",
        &[b'a'; 100],
        b"' '",
        &[b'b'; 25],
        b"' \r\n",
    ]
    .concat();
    conn.send(&cmd!([b'x'; 200], [b'a'; 100], [b'b'; 100]));
    assert_eq!(conn.read_n(expected.len()), expected);
    let expected = [
        &b"-ERR unknown command 'foo', with args beginning with: '"[..],
        &[b'a'; 50],
        b"' '",
        &[b'b'; 50],
        b"' '",
        &[b'c'; 22],
        b"' \r\n",
    ]
    .concat();
    conn.send(&cmd!(b"foo", [b'a'; 50], [b'b'; 50], [b'c'; 50], b"d"));
    assert_eq!(conn.read_n(expected.len()), expected);
}

/// Sends `input` on a new connection and reads until the server closes it.
fn until_closed(server: &Server, input: &[u8]) -> String {
    let mut conn = server.connect();
    conn.send(input);
    String::from_utf8_lossy(&conn.until_eof()).into_owned()
}

#[test]
fn protocol_errors_reply_then_close() {
    let mut server = Server::start(RESP, &[]);
    let cases: &[(&[u8], &str)] = &[
        (
            b"*abc\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*01\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*3000000000\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\n$4\r\nPING\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*2\r\n$3\r\nGET\r\n$-1\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$04\r\nPING\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n+PING\r\n",
            "-ERR Protocol error: expected '$', got '+'\r\n",
        ),
        (
            b"*1\r\n\r\n",
            "-ERR Protocol error: expected '$', got ' '\r\n",
        ),
        (
            b"ECHO \"abc\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
        (
            b"ECHO \"abc\"def\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
        // The requests before the bad one are answered first.
        (
            b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n",
            "+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n",
        ),
        // QUIT answers, closes, and runs nothing after it.
        (b"SET q 1\r\nQUIT now\r\nSET r 2\r\n", "+OK\r\n+OK\r\n"),
        // An HTTP request is dropped without a word.
        (b"POST / HTTP/1.1\r\nHost: x\r\n\r\n", ""),
        (b"Host: x\r\nPING\r\n", ""),
    ];
    for (input, expected) in cases {
        assert_eq!(
            until_closed(&server, input),
            *expected,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    let mut conn = server.connect();
    check(&mut conn, &cmd!(b"EXISTS", b"q", b"r"), &Exact(b":1\r\n"));
    // The bytes after a bulk string are skipped unchecked, as in Redis.
    check(
        &mut conn,
        b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
        &Exact(b"+PONG\r\n+PONG\r\n"),
    );
    server.assert_alive();
}

#[test]
fn lines_without_an_end_are_bounded() {
    let server = Server::start(RESP, &[]);
    let mut long = b"GET ".to_vec();
    long.resize(70_000, b'k');
    assert_eq!(
        until_closed(&server, &long),
        "-ERR Protocol error: too big inline request\r\n"
    );
    let mut count = b"*1".to_vec();
    count.resize(70_000, b'1');
    assert_eq!(
        until_closed(&server, &count),
        "-ERR Protocol error: too big mbulk count string\r\n"
    );
    let mut bulk = b"*1\r\n$1".to_vec();
    bulk.resize(70_000, b'1');
    assert_eq!(
        until_closed(&server, &bulk),
        "-ERR Protocol error: too big bulk count string\r\n"
    );
}

#[test]
fn oversized_bulk_strings_and_argument_counts() {
    // The defaults: 16 MiB bulk strings, 1 048 576 arguments.
    let server = Server::start(RESP, &[]);
    assert_eq!(
        until_closed(&server, b"*2\r\n$4\r\nECHO\r\n$16777217\r\n"),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
    assert_eq!(
        until_closed(&server, b"*2\r\n$4\r\nECHO\r\n$5000000000\r\n"),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
    assert_eq!(
        until_closed(&server, b"*1048577\r\n"),
        "-ERR Protocol error: invalid multibulk length\r\n"
    );
    // A bulk string of exactly the limit is fine.
    let small = Server::start(RESP, &["--proto-max-bulk-len", "1kb", "--max-args", "3"]);
    let mut conn = small.connect();
    let value = vec![b'v'; 1024];
    conn.send(&cmd!(b"ECHO", value));
    assert_eq!(
        conn.read_n(1024 + 9),
        [&b"$1024\r\n"[..], &value, b"\r\n"].concat()
    );
    check(&mut conn, &cmd!(b"SET", b"k", b"v"), &Exact(b"+OK\r\n"));
    assert_eq!(
        until_closed(&small, &cmd!(b"ECHO", [b'v'; 1025])),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
    assert_eq!(
        until_closed(&small, &cmd!(b"DEL", b"a", b"b", b"c")),
        "-ERR Protocol error: invalid multibulk length\r\n"
    );
}

#[test]
fn a_client_over_the_query_buffer_limit_is_closed() {
    let mut server = Server::start(
        RESP,
        &[
            "--proto-max-bulk-len",
            "1kb",
            "--client-query-buffer-limit",
            "200kb",
        ],
    );
    // One command of many 1000-byte arguments that never ends: the
    // arguments pile up until the limit, then the server hangs up.
    let mut conn = server.connect();
    let mut writer = conn.stream.try_clone().expect("clone");
    let flood = thread::spawn(move || {
        let _ = writer.write_all(b"*1000000\r\n");
        let arg = [&b"$1000\r\n"[..], &[b'a'; 1000], b"\r\n"].concat();
        for _ in 0..400 {
            if writer.write_all(&arg).is_err() {
                return;
            }
        }
    });
    assert_eq!(conn.until_eof(), b"", "closed without a reply");
    flood.join().expect("flood");
    let mut other = server.connect();
    check(&mut other, b"PING\r\n", &Exact(b"+PONG\r\n"));
    server.assert_alive();
}

#[test]
fn clients_vanishing_mid_request_leave_nothing_behind() {
    for runtime in runtimes() {
        let mut server = Server::start(RESP, &runtime);
        // Gone inside a multibulk request, inside a large bulk string, and
        // with a reset instead of a close.
        let mut conn = server.connect();
        conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc");
        drop(conn);
        let mut conn = server.connect();
        conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10000000\r\n");
        conn.send(&vec![b'x'; 1_000_000]);
        drop(conn);
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        socket.connect(&server.addr.into()).expect("connect");
        socket.set_linger(Some(Duration::ZERO)).expect("SO_LINGER");
        let mut stream = TcpStream::from(socket);
        stream
            .write_all(b"*2\r\n$4\r\nECHO\r\n$5\r\nab")
            .expect("write");
        drop(stream);

        let mut conn = server.connect();
        check(&mut conn, &cmd!(b"GET", b"k"), &Exact(b"$-1\r\n"));
        check(&mut conn, b"PING\r\n", &Exact(b"+PONG\r\n"));
        server.assert_alive();
    }
}

#[test]
fn a_client_that_does_not_read_stalls_only_itself() {
    let mut server = Server::start(RESP, &["--client-output-limit", "100kb"]);
    let mut conn = server.connect();
    check(
        &mut conn,
        &cmd!(b"SET", b"big", [b'b'; 60_000]),
        &Exact(b"+OK\r\n"),
    );
    // Requests for far more reply bytes than the socket buffers hold, and
    // never a read: the server stops reading this client, nothing more.
    let greedy = server.connect();
    let mut writer = greedy.stream.try_clone().expect("clone");
    let flood = thread::spawn(move || {
        let request = cmd!(b"GET", b"big");
        for _ in 0..2_000 {
            if writer.write_all(&request).is_err() {
                return;
            }
        }
    });
    for _ in 0..10 {
        check(&mut conn, b"PING\r\n", &Exact(b"+PONG\r\n"));
    }
    // One reply over the output limit: that client is dropped, unanswered.
    assert_eq!(until_closed(&server, &cmd!(b"MGET", b"big", b"big")), "");
    // And the greedy one vanishes mid-reply.
    socket2::SockRef::from(&greedy.stream)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER");
    drop(greedy);
    flood.join().expect("flood");
    check(
        &mut conn,
        &cmd!(b"STRLEN", b"big"),
        &Exact(b"-ERR unknown command 'STRLEN', with args beginning with: 'big' \r\n"),
    );
    check(&mut conn, &cmd!(b"EXISTS", b"big"), &Exact(b":1\r\n"));
    server.assert_alive();
}

#[test]
fn pipelined_requests_are_all_answered_in_order() {
    for runtime in runtimes() {
        let server = Server::start(RESP, &runtime);
        let mut conn = server.connect();
        // 20 000 requests written in one go, while the replies are read:
        // the server answers in batches and never needs the client to stop.
        let mut requests = Vec::new();
        let mut replies = Vec::new();
        for i in 0..5_000 {
            let key = format!("key:{}", i % 100);
            requests.extend(cmd!(b"SET", key.as_bytes(), i.to_string().as_bytes()));
            replies.extend_from_slice(b"+OK\r\n");
            requests.extend(cmd!(b"GET", key.as_bytes()));
            replies.extend(format!("${}\r\n{i}\r\n", i.to_string().len()).as_bytes());
            requests.extend(cmd!(b"INCR", b"counter"));
            replies.extend(format!(":{}\r\n", i + 1).as_bytes());
            requests.extend_from_slice(b"PING\r\n");
            replies.extend_from_slice(b"+PONG\r\n");
        }
        let mut writer = conn.stream.try_clone().expect("clone");
        let sender = thread::spawn(move || writer.write_all(&requests).expect("write"));
        let got = conn.read_n(replies.len());
        sender.join().expect("sender");
        assert!(got == replies, "{runtime:?}: pipelined replies differ");
        check(&mut conn, &cmd!(b"DBSIZE"), &Exact(b":101\r\n"));
    }
}

#[test]
fn keys_expire_on_the_runtime_timers() {
    for runtime in runtimes() {
        let server = Server::start(RESP, &runtime);
        let mut conn = server.connect();
        // A far deadline first: the expirer sleeps on it, and must be woken
        // for the nearer ones set afterwards.
        check(
            &mut conn,
            &cmd!(b"SET", b"far", b"1", b"EX", b"9223372036854"),
            &Exact(b"+OK\r\n"),
        );
        check(
            &mut conn,
            &cmd!(b"SET", b"later", b"1", b"EX", b"3600"),
            &Exact(b"+OK\r\n"),
        );
        let start = Instant::now();
        check(
            &mut conn,
            &cmd!(b"SET", b"a", b"1", b"PX", b"150"),
            &Exact(b"+OK\r\n"),
        );
        check(&mut conn, &cmd!(b"SET", b"b", b"1"), &Exact(b"+OK\r\n"));
        check(&mut conn, &cmd!(b"EXPIRE", b"b", b"1"), &Exact(b":1\r\n"));
        check(&mut conn, &cmd!(b"DBSIZE"), &Exact(b":4\r\n"));
        // Nobody reads `a` or `b`: only the timers can remove them. DBSIZE
        // counts keys held, expired or not, as Redis' does.
        let mut sizes = Vec::new();
        loop {
            conn.send(&cmd!(b"DBSIZE"));
            let size = conn.line();
            if sizes.last() != Some(&size) {
                sizes.push(size.clone());
                if size == ":3\r\n" {
                    assert!(
                        start.elapsed() >= Duration::from_millis(150),
                        "a expired early"
                    );
                }
            }
            if size == ":2\r\n" {
                break;
            }
            assert!(
                start.elapsed() < GUARD,
                "{runtime:?}: keys not expired: {sizes:?}"
            );
            thread::sleep(Duration::from_millis(10));
        }
        assert!(start.elapsed() >= Duration::from_secs(1), "b expired early");
        assert_eq!(sizes, [":4\r\n", ":3\r\n", ":2\r\n"], "{runtime:?}");
        check(
            &mut conn,
            &cmd!(b"MGET", b"a", b"b", b"later"),
            &Exact(b"*3\r\n$-1\r\n$-1\r\n$1\r\n1\r\n"),
        );
        check(&mut conn, &cmd!(b"TTL", b"later"), &Ttl(3600));
        // Once its deadline has passed, a key is gone.
        check(
            &mut conn,
            &cmd!(b"SET", b"c", b"1", b"PX", b"1"),
            &Exact(b"+OK\r\n"),
        );
        thread::sleep(Duration::from_millis(2));
        check(&mut conn, &cmd!(b"GET", b"c"), &Exact(b"$-1\r\n"));
    }
}

#[test]
fn maxclients_refuses_extra_clients() {
    let server = Server::start(RESP, &["--maxclients", "2"]);
    let mut first = server.connect();
    let mut second = server.connect();
    check(&mut first, b"PING\r\n", &Exact(b"+PONG\r\n"));
    check(&mut second, b"PING\r\n", &Exact(b"+PONG\r\n"));
    assert_eq!(
        until_closed(&server, b"PING\r\n"),
        "-ERR max number of clients reached\r\n"
    );
    // A slot frees when a client leaves.
    drop(first);
    let start = Instant::now();
    loop {
        let mut conn = server.connect();
        conn.send(b"PING\r\n");
        if conn.line() == "+PONG\r\n" {
            break;
        }
        assert!(start.elapsed() < GUARD, "the slot was never freed");
    }
}

/// The Redis tools, or `None` (with the reason printed) when they are not
/// installed and this is not CI; in CI (`CI` set) they must be there.
fn redis_tools() -> Option<(PathBuf, PathBuf)> {
    let find = |name: &str| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    };
    match (find("redis-benchmark"), find("redis-cli")) {
        (Some(benchmark), Some(cli)) => Some((benchmark, cli)),
        (benchmark, _) => {
            let missing = if benchmark.is_none() {
                "redis-benchmark"
            } else {
                "redis-cli"
            };
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {missing} is not installed: .ci/run installs redis-tools"
            );
            eprintln!(
                "skipping the Redis tools test: {missing} is not installed \
                 (apt-get install redis-tools); CI runs it"
            );
            None
        }
    }
}

/// `name: 123.45 requests per second, ...` lines of `redis-benchmark -q`.
fn benchmark_results(output: &str) -> Vec<(String, f64)> {
    output
        .split(['\r', '\n'])
        .filter_map(|line| {
            let (name, rest) = line.trim().split_once(": ")?;
            let (rate, _) = rest.split_once(" requests per second")?;
            Some((name.to_owned(), rate.parse().ok()?))
        })
        .collect()
}

#[test]
fn redis_benchmark_and_redis_cli_on_every_runtime() {
    let Some((benchmark, cli)) = redis_tools() else {
        return;
    };
    let (benchmark, cli) = (
        benchmark.to_str().expect("utf-8"),
        cli.to_str().expect("utf-8"),
    );
    for runtime in runtimes() {
        let server = Server::start(RESP, &runtime);
        let port = server.port();
        let out = run(
            benchmark,
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-q",
                "-n",
                "20000",
                "-c",
                "50",
                "-P",
                "16",
                "-t",
                "ping,set,get,incr,mset",
            ],
            Duration::from_secs(120),
        );
        assert!(out.status.success(), "{runtime:?}: {out:?}");
        assert!(
            !out.stdout.contains("Error") && !out.stderr.contains("Error from server"),
            "{out:?}"
        );
        let results = benchmark_results(&out.stdout);
        let names: Vec<&str> = results.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "PING_INLINE",
                "PING_MBULK",
                "SET",
                "GET",
                "INCR",
                "MSET (10 keys)"
            ],
            "{runtime:?}: {}",
            out.stdout
        );
        assert!(results.iter().all(|(_, rate)| *rate > 0.0), "{results:?}");
        // redis-benchmark finishes only once every request is answered; the
        // counter it incremented proves each INCR ran exactly once.
        let out = run(cli, &["-p", &port, "GET", "counter:__rand_int__"], GUARD);
        assert_eq!(out.stdout, "20000\n", "{runtime:?}: {out:?}");

        // redis-cli round trips.
        let cli_says = |args: &[&str]| {
            let mut full = vec!["-h", "127.0.0.1", "-p", &port];
            full.extend(args);
            let out = run(cli, &full, GUARD);
            assert!(out.status.success(), "{args:?}: {out:?}");
            out.stdout
        };
        assert_eq!(cli_says(&["SET", "greeting", "hello world"]), "OK\n");
        assert_eq!(cli_says(&["GET", "greeting"]), "hello world\n");
        assert_eq!(cli_says(&["TTL", "greeting"]), "-1\n");
        assert_eq!(cli_says(&["EXPIRE", "greeting", "100"]), "1\n");
        let ttl: i64 = cli_says(&["TTL", "greeting"])
            .trim()
            .parse()
            .expect("a number");
        assert!((99..=100).contains(&ttl), "{ttl}");
        assert_eq!(cli_says(&["SET", "brief", "x", "PX", "100"]), "OK\n");
        assert_eq!(cli_says(&["GET", "nokey"]), "\n");
        assert_eq!(cli_says(&["TTL", "nokey"]), "-2\n");
        assert!(cli_says(&["NOPE"]).starts_with("ERR unknown command 'NOPE'"));
    }
}

#[test]
fn help_documents_every_flag_and_limits_are_checked() {
    let out = run(RESP, &["--help"], GUARD);
    assert!(out.status.success());
    for flag in [
        "--bind",
        "--port",
        "--proto-max-bulk-len",
        "--max-args",
        "--client-query-buffer-limit",
        "--client-output-limit",
        "--maxclients",
        "--reactor",
        "--executor",
        "--workers",
    ] {
        assert!(out.stdout.contains(flag), "--help documents {flag}");
    }
    let out = run(
        RESP,
        &[
            "--proto-max-bulk-len",
            "1mb",
            "--client-query-buffer-limit",
            "1mb",
        ],
        GUARD,
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("query buffer limit"), "{}", out.stderr);
    let out = run(RESP, &["--maxclients", "0"], GUARD);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = run(RESP, &["--proto-max-bulk-len", "12xb"], GUARD);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
