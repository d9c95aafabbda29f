//! `Async<T>`: reads and writes over Unix stream pairs and pipes, partial
//! reads, close through the protocol, `into_inner`, drop, bad handles.

mod rt;

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use baton_protocol::io::Async;
use baton_protocol::time::sleep;
use baton_protocol::wait::{self, WaitFor};
use baton_protocol::{Direction, Error};
use futures_lite::future::zip;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use rt::{Rt, poll_once};

fn pair(rt: &Rt) -> (Async<UnixStream>, Async<UnixStream>) {
    let _enter = rt.handle().enter();
    let (a, b) = UnixStream::pair().unwrap();
    (Async::new(a).unwrap(), Async::new(b).unwrap())
}

#[test]
fn read_with_and_write_with_over_a_unix_pair() {
    let rt = Rt::new();
    let (a, b) = pair(&rt);
    let got = rt.block_on(async {
        let sent = b.write_with(|s| (&*s).write(b"ping")).await.unwrap();
        assert_eq!(sent, 4);
        let mut buf = [0; 8];
        let n = a.read_with(|s| (&*s).read(&mut buf)).await.unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(got, b"ping");
}

#[test]
fn async_read_write_traits_owned_and_shared() {
    let rt = Rt::new();
    let (mut a, b) = pair(&rt);
    rt.block_on(async {
        // Owned: `Async<T>` with `T: Read + Write`.
        a.write_all(b"hello").await.unwrap();
        let mut buf = [0; 5];
        (&b).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        // Shared: `&Async<T>` with `&T: Read + Write`.
        (&b).write_all(b"world").await.unwrap();
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"world");
        a.flush().await.unwrap();
    });
}

#[test]
fn vectored_read_and_write() {
    let rt = Rt::new();
    let (mut a, mut b) = pair(&rt);
    rt.block_on(async {
        let n = a
            .write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cde")])
            .await
            .unwrap();
        assert_eq!(n, 5);
        let (mut x, mut y) = ([0; 2], [0; 3]);
        let n = b
            .read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
            .await
            .unwrap();
        assert_eq!(n, 5);
        assert_eq!((&x, &y), (b"ab", b"cde"));
    });
}

#[test]
fn pipe_read_write_and_eof() {
    let rt = Rt::new();
    let (reader, writer) = io::pipe().unwrap();
    let (mut reader, mut writer) = {
        let _enter = rt.handle().enter();
        (Async::new(reader).unwrap(), Async::new(writer).unwrap())
    };
    rt.block_on(async {
        let (_, got) = zip(
            async {
                sleep(Duration::from_millis(5)).await.unwrap();
                writer.write_all(b"through the pipe").await.unwrap();
                drop(writer);
            },
            async {
                let mut got = Vec::new();
                reader.read_to_end(&mut got).await.unwrap();
                got
            },
        )
        .await;
        assert_eq!(got, b"through the pipe");
    });
}

#[test]
fn partial_reads_stay_ready_without_new_turns() {
    // rearm.partial_read_stays_ready, seen through `Async`.
    let rt = Rt::new();
    let (mut a, b) = pair(&rt);
    b.get_ref().write_all(&[7; 100]).unwrap();
    let mut buf = [0; 10];
    rt.block_on(a.read_exact(&mut buf)).unwrap();
    let turns = rt.turns();
    for _ in 0..9 {
        rt.block_on(a.read_exact(&mut buf)).unwrap();
    }
    assert_eq!(rt.turns(), turns, "buffered data needs no reactor turn");
    assert_eq!(buf, [7; 10]);
}

#[test]
fn close_wakes_a_waiting_reader_with_closed() {
    // err.close_source_fails_waiters through `Async::close`.
    let rt = Rt::new();
    let (a, _b) = pair(&rt);
    let (read, closed) = rt.block_on(zip(
        async {
            let mut buf = [0; 4];
            (&a).read(&mut buf).await
        },
        async {
            sleep(Duration::from_millis(10)).await.unwrap();
            a.close()
        },
    ));
    closed.unwrap();
    let e = read.unwrap_err();
    assert!(matches!(Error::from(e), Error::Closed));
    // Later operations fail at once, and closing again is Ok.
    let later = rt.block_on(a.readable()).unwrap_err();
    assert!(matches!(Error::from(later), Error::Closed));
    a.close().unwrap();
}

#[test]
fn into_inner_deregisters_without_closing() {
    let rt = Rt::new();
    let baseline = rt.reactor().stats().registrations;
    let (a, b) = pair(&rt);
    assert_eq!(rt.reactor().stats().registrations, baseline + 2);
    let a = a.into_inner();
    assert_eq!(rt.reactor().stats().registrations, baseline + 1);
    // Still open: the peer receives what it writes.
    (&a).write_all(b"still open").unwrap();
    let mut buf = [0; 10];
    rt.block_on((&b).read_exact(&mut buf)).unwrap();
    assert_eq!(&buf, b"still open");
    // And it can be registered again.
    let _enter = rt.handle().enter();
    let again = Async::new(a).unwrap();
    assert_eq!(rt.reactor().stats().registrations, baseline + 2);
    drop((again, b));
    assert_eq!(rt.reactor().stats().registrations, baseline);
}

/// A stream that counts how often it is dropped.
struct Counted {
    stream: UnixStream,
    drops: Arc<AtomicUsize>,
}

impl AsFd for Counted {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn drop_deregisters_then_closes_exactly_once() {
    // shut.owned_source_close_once.
    let rt = Rt::new();
    let baseline = rt.reactor().stats().registrations;
    let drops = Arc::new(AtomicUsize::new(0));
    let (a, b) = UnixStream::pair().unwrap();
    let a = {
        let _enter = rt.handle().enter();
        Async::new(Counted {
            stream: a,
            drops: Arc::clone(&drops),
        })
        .unwrap()
    };
    assert_eq!(rt.reactor().stats().registrations, baseline + 1);
    drop(a);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(rt.reactor().stats().registrations, baseline);
    // The peer sees the end of the stream: the fd was closed.
    let mut buf = [0; 1];
    assert_eq!((&b).read(&mut buf).unwrap(), 0);
}

#[test]
fn regular_file_is_unsupported() {
    // Decision 4, through `Async::new`.
    let rt = Rt::new();
    let baseline = rt.reactor().stats().registrations;
    let _enter = rt.handle().enter();
    let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let e = Async::new(file).unwrap_err();
    assert!(matches!(Error::from(e), Error::Unsupported(_)));
    assert_eq!(rt.reactor().stats().registrations, baseline);
}

#[test]
fn outside_a_runtime_is_no_runtime() {
    let (a, _b) = UnixStream::pair().unwrap();
    let e = Async::new(a).unwrap_err();
    assert!(matches!(Error::from(e), Error::NoRuntime));
}

#[test]
fn pending_read_reports_fd_and_direction() {
    let rt = Rt::new();
    let (a, _b) = pair(&rt);
    let mut buf = [0; 1];
    let mut read = Box::pin(async { (&a).read(&mut buf).await });
    wait::take();
    assert!(poll_once(&rt, &mut read).is_pending());
    let fd = std::os::fd::AsRawFd::as_raw_fd(&a);
    assert_eq!(
        wait::take(),
        Some(WaitFor::Io {
            fd,
            dir: Direction::Read
        })
    );
}

#[test]
fn after_shutdown_operations_fail_with_shutdown() {
    let rt = Rt::new();
    let (a, _b) = pair(&rt);
    rt.reactor().shutdown();
    let e = rt.block_on(a.readable()).unwrap_err();
    assert!(matches!(Error::from(e), Error::Shutdown));
    drop(a);
}

#[test]
fn public_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<Async<UnixStream>>();
    check::<baton_protocol::io::Readable<'_, UnixStream>>();
    check::<baton_protocol::time::Sleep>();
    check::<baton_protocol::time::Interval>();
    check::<baton_protocol::time::Timeout<baton_protocol::time::Sleep>>();
    check::<baton_protocol::net::TcpListener>();
    check::<baton_protocol::net::TcpStream>();
    check::<baton_protocol::net::UdpSocket>();
    check::<baton_protocol::net::UnixListener>();
    check::<baton_protocol::net::UnixStream>();
    check::<baton_protocol::net::UnixDatagram>();
}
