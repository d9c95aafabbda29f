//! `chat`: what each client receives — greetings, join and leave notices,
//! every other client's lines in order, never its own — on every reactor ×
//! executor; names; long lines; and a client that stops reading is
//! disconnected without stalling the room.

mod proc;

use std::net::SocketAddr;

use proc::{Conn, GUARD, Server, run, runtimes};

const CHAT: &str = env!("CARGO_BIN_EXE_chat");
const WELCOME: &str = "* welcome to baton chat; what is your name?\n";

/// Connects and joins as `name`; returns the connection and the greeting.
fn join(addr: SocketAddr, name: &str) -> (Conn, String) {
    let mut conn = Conn::new(addr);
    assert_eq!(conn.line(), WELCOME);
    conn.send(format!("{name}\n").as_bytes());
    let greeting = conn.line();
    (conn, greeting)
}

#[test]
fn room_on_every_runtime() {
    for runtime in runtimes() {
        let mut server = Server::start(CHAT, &runtime);
        let (mut ada, hello) = join(server.addr, "ada");
        assert_eq!(hello, "* hello ada; nobody else is here\n", "{runtime:?}");
        let (mut bob, hello) = join(server.addr, "bob");
        assert_eq!(hello, "* hello bob; here: ada\n");
        assert_eq!(ada.line(), "* bob joined\n");
        // `\r\n` line ends work as well (telnet).
        let mut cy = Conn::new(server.addr);
        assert_eq!(cy.line(), WELCOME);
        cy.send(b"cy\r\n");
        assert_eq!(cy.line(), "* hello cy; here: ada, bob\n");
        assert_eq!(ada.line(), "* cy joined\n");
        assert_eq!(bob.line(), "* cy joined\n");

        // Many lines from two senders: each reader sees each sender's lines
        // in order, and never its own.
        for i in 0..50 {
            ada.send(format!("ada says {i}\n").as_bytes());
            bob.send(format!("bob says {i}\r\n").as_bytes());
        }
        let mut from_ada = Vec::new();
        let mut from_bob = Vec::new();
        for _ in 0..100 {
            let line = cy.line();
            if line.starts_with("ada: ") {
                from_ada.push(line);
            } else {
                assert!(line.starts_with("bob: "), "{line:?}");
                from_bob.push(line);
            }
        }
        let expect = |who: &str| -> Vec<String> {
            (0..50)
                .map(|i| format!("{who}: {who} says {i}\n"))
                .collect()
        };
        assert_eq!(from_ada, expect("ada"), "{runtime:?}");
        assert_eq!(from_bob, expect("bob"), "{runtime:?}");
        for i in 0..50 {
            assert_eq!(ada.line(), format!("bob: bob says {i}\n"));
            assert_eq!(bob.line(), format!("ada: ada says {i}\n"));
        }

        // Leaving: `/quit` says goodbye; closing is enough too.
        cy.send(b"/quit\n");
        assert_eq!(cy.line(), "* bye\n");
        assert_eq!(cy.until_eof(), b"");
        assert_eq!(ada.line(), "* cy left\n");
        assert_eq!(bob.line(), "* cy left\n");
        drop(bob);
        assert_eq!(ada.line(), "* bob left\n");
        ada.send(b"anyone?\n");
        let (mut dee, hello) = join(server.addr, "dee");
        assert_eq!(hello, "* hello dee; here: ada\n");
        assert_eq!(ada.line(), "* dee joined\n");
        dee.send(b"hi\n");
        assert_eq!(ada.line(), "dee: hi\n");
        server.assert_alive();
    }
}

#[test]
fn names_must_be_valid_and_unique() {
    let server = Server::start(CHAT, &["--executor", "local"]);
    let (_ada, _) = join(server.addr, "ada");
    let mut conn = Conn::new(server.addr);
    assert_eq!(conn.line(), WELCOME);
    let ask = "* a name is 1 to 32 bytes, no spaces; another?\n";
    // The 33 x's and the newline after them make one 33-byte name.
    for bad in [
        &b"\n"[..],
        b"two words\n",
        b"\xff\xfe\n",
        &[b'x'; 33],
        b"\n",
    ] {
        conn.send(bad);
        if bad.ends_with(b"\n") {
            assert_eq!(conn.line(), ask, "{bad:?}");
        }
    }
    conn.send(b"ada\n");
    assert_eq!(conn.line(), "* that name is taken; another?\n");
    conn.send(&[b'z'; 32]);
    conn.send(b"\n");
    assert_eq!(
        conn.line(),
        format!("* hello {}; here: ada\n", "z".repeat(32))
    );
}

#[test]
fn a_line_too_long_ends_the_session() {
    let server = Server::start(CHAT, &["--max-line", "100"]);
    let (mut ada, _) = join(server.addr, "ada");
    let (mut bob, _) = join(server.addr, "bob");
    assert_eq!(ada.line(), "* bob joined\n");
    let fits = "x".repeat(100);
    bob.send(format!("{fits}\n").as_bytes());
    assert_eq!(ada.line(), format!("bob: {fits}\n"));
    // More than the limit, with no line break in sight.
    bob.send(&[b'y'; 300]);
    assert_eq!(bob.line(), "* line too long (at most 100 bytes); bye\n");
    assert_eq!(bob.until_eof(), b"");
    assert_eq!(ada.line(), "* bob left\n");
}

#[test]
fn a_client_that_stops_reading_is_disconnected_on_every_runtime() {
    for runtime in runtimes() {
        let mut args = vec!["--queue", "4", "--max-line", "64kb"];
        args.extend(&runtime);
        let server = Server::start(CHAT, &args);
        // The slow client joins, then never reads again; a small receive
        // buffer makes its socket fill up sooner.
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        socket.connect(&server.addr.into()).expect("connect");
        let mut slow = Conn::from_stream(socket.into());
        assert_eq!(slow.line(), WELCOME);
        slow.send(b"slow\n");
        assert_eq!(slow.line(), "* hello slow; nobody else is here\n");

        let (mut reader, _) = join(server.addr, "reader");
        let (mut talker, _) = join(server.addr, "talker");
        assert_eq!(reader.line(), "* talker joined\n");

        // The talker sends far more than the slow client's socket buffers
        // and queue hold, one line at a time as the reader takes each: the
        // reader keeps up, the slow client does not.
        const LINES: usize = 400;
        let line = "m".repeat(60_000);
        let mut kicked = false;
        for i in 0..LINES {
            talker.send(format!("{i} {line}\n").as_bytes());
            let mut got = reader.line();
            if got == "* slow left (too slow)\n" {
                kicked = true;
                got = reader.line();
            }
            let expected = format!("talker: {i} {line}\n");
            assert!(
                got == expected,
                "{runtime:?}: line {i}: got {} bytes",
                got.len()
            );
        }
        assert!(kicked, "{runtime:?}: the slow client was disconnected");
        assert_eq!(talker.line(), "* slow left (too slow)\n");
        // Its connection is closed: past what was buffered, end of stream.
        let rest = slow.until_eof();
        assert!(rest.len() < LINES * line.len(), "{runtime:?}");
    }
}

#[test]
fn help_documents_every_flag() {
    let out = run(CHAT, &["--help"], GUARD);
    assert!(out.status.success());
    for flag in [
        "--bind",
        "--port",
        "--queue",
        "--max-line",
        "--reactor",
        "--executor",
        "--workers",
    ] {
        assert!(out.stdout.contains(flag), "--help documents {flag}");
    }
}
