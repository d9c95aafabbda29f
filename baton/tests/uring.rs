//! The io_uring reactor through the facade: picked by name, a runtime built
//! on it runs timers and sockets; on a kernel that refuses io_uring, the
//! build says `Unsupported` and epoll is the one-line fallback.

use std::time::Duration;

use baton::rt::{ExecutorKind, ReactorKind, RuntimeOptions};

#[test]
fn uring_by_name_runs_a_timer_and_a_socket_or_falls_back() {
    let reactor: ReactorKind = "uring".parse().expect("a reactor name");
    assert_eq!(reactor, ReactorKind::Uring);
    assert_eq!(reactor.to_string(), "uring");
    for executor in [ExecutorKind::Local, ExecutorKind::Multi] {
        let options = RuntimeOptions {
            reactor,
            executor,
            workers: 2,
        };
        let rt = match options.build() {
            Ok(rt) => rt,
            Err(baton::Error::Unsupported(why)) => {
                // The fallback the crate documents; this machine may refuse
                // io_uring (seccomp, io_uring_disabled).
                eprintln!("io_uring refused ({why}): falling back to epoll");
                RuntimeOptions {
                    reactor: ReactorKind::Epoll,
                    ..options
                }
                .build()
                .expect("epoll")
            }
            Err(e) => panic!("{e}"),
        };
        let echoed = rt.block_on(async {
            baton::sleep(Duration::from_millis(1)).await?;
            let listener = baton::net::TcpListener::bind(([127, 0, 0, 1], 0))?;
            let addr = listener.local_addr()?;
            let server = baton::spawn(async move {
                use futures_lite::{AsyncReadExt, AsyncWriteExt};
                let (mut stream, _) = listener.accept().await?;
                let mut byte = [0u8; 1];
                stream.read_exact(&mut byte).await?;
                stream.write_all(&byte).await?;
                Ok::<(), baton::Error>(())
            })?;
            use futures_lite::{AsyncReadExt, AsyncWriteExt};
            let mut client = baton::net::TcpStream::connect(addr).await?;
            client.write_all(b"u").await?;
            let mut byte = [0u8; 1];
            client.read_exact(&mut byte).await?;
            server.await??;
            Ok::<u8, baton::Error>(byte[0])
        });
        assert_eq!(echoed.expect("the echo ran"), b'u');
    }
}
