//! The listen backlog: a burst of connects to a listener that does not
//! accept yet is queued, not refused or dropped. std's `TcpListener::bind`
//! listens with a backlog of 128 (its Unix listener with `somaxconn`); the
//! listeners' default is [`DEFAULT_BACKLOG`].

mod rt;

use std::fs;
use std::io;
use std::path::PathBuf;

use baton_protocol::io::Async;
use baton_protocol::net::{DEFAULT_BACKLOG, TcpListener, UnixListener};
use rt::Rt;
use socket2::{Domain, SockAddr, Socket, Type};

/// Simultaneous connects in each burst: well above std's 128, well below
/// the default backlog and Linux's default `somaxconn` (4096).
const BURST: usize = 600;

/// A fresh directory for one test's socket file.
fn socket_path(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-backlog-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).unwrap();
    dir.join("listener.sock")
}

/// Makes [`BURST`] non-blocking connects to `path`; returns how many the
/// listener queued. A Unix connect beyond the backlog fails at once with
/// `EAGAIN`; the sockets stay open until the caller drops them.
fn unix_burst(path: &PathBuf) -> (usize, Vec<Socket>) {
    let addr = SockAddr::unix(path).unwrap();
    let mut queued = 0;
    let mut sockets = Vec::with_capacity(BURST);
    for _ in 0..BURST {
        let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None).unwrap();
        match socket.connect(&addr) {
            Ok(()) => queued += 1,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("connect: {e}"),
        }
        sockets.push(socket);
    }
    (queued, sockets)
}

#[test]
fn unix_default_backlog_queues_a_burst() {
    let rt = Rt::new();
    let path = socket_path("unix-default");
    let _listener = {
        let _enter = rt.handle().enter();
        UnixListener::bind(&path).unwrap()
    };
    let (queued, _sockets) = unix_burst(&path);
    assert_eq!(
        queued, BURST,
        "connects refused by a listener that never accepts"
    );
    fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn tcp_default_backlog_establishes_a_burst() {
    let rt = Rt::new();
    let listener = {
        let _enter = rt.handle().enter();
        TcpListener::bind(([127, 0, 0, 1], 0)).unwrap()
    };
    let addr = SockAddr::from(listener.local_addr().unwrap());
    rt.block_on(async {
        let mut pending = Vec::with_capacity(BURST);
        for _ in 0..BURST {
            let socket = Socket::new(Domain::IPV4, Type::STREAM.nonblocking(), None).unwrap();
            match socket.connect(&addr) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) => panic!("connect: {e}"),
            }
            pending.push(Async::new(socket).unwrap());
        }
        // A connect whose SYN the full queue dropped stays in SYN_SENT and
        // never turns writable: `block_on`'s hang guard ends the test then.
        for socket in &pending {
            socket.writable().await.unwrap();
            assert!(socket.get_ref().take_error().unwrap().is_none());
        }
    });
}

#[test]
fn unix_backlog_is_what_bind_with_backlog_says() {
    let rt = Rt::new();
    let _enter = rt.handle().enter();

    // std's old TCP default: the burst overflows it.
    let path = socket_path("unix-128");
    let _small = UnixListener::bind_with_backlog(&path, 128).unwrap();
    let (queued, _sockets) = unix_burst(&path);
    assert!(
        (128..BURST).contains(&queued),
        "{queued} of {BURST} connects queued with a backlog of 128"
    );
    fs::remove_dir_all(path.parent().unwrap()).unwrap();

    let path = socket_path("unix-default-explicit");
    let _large = UnixListener::bind_with_backlog(&path, DEFAULT_BACKLOG).unwrap();
    let (queued, _sockets) = unix_burst(&path);
    assert_eq!(queued, BURST);
    fs::remove_dir_all(path.parent().unwrap()).unwrap();
}
