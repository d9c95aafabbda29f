//! Every way in: around a future, per thread on a multi-thread runtime's
//! workers (`on_thread_start`), and `block_on`; protocol spawns, groups,
//! timers and sockets inside.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use baton_host_tokio::TokioHost;
use baton_protocol::net::{TcpListener, TcpStream};
use baton_protocol::{Error, TaskGroup};
use baton_reactor_epoll::EpollReactor;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// A protocol-only echo round trip over loopback.
async fn echo_once() -> Result<Vec<u8>, Error> {
    let listener = TcpListener::bind("127.0.0.1:0".parse::<std::net::SocketAddr>().expect("addr"))?;
    let addr = listener.local_addr()?;
    let server = baton_protocol::spawn(async move {
        let (mut stream, _) = listener.accept().await?;
        let mut buf = [0; 5];
        stream.read_exact(&mut buf).await?;
        stream.write_all(&buf).await?;
        Ok::<_, Error>(())
    })?;
    let mut client = TcpStream::connect(addr).await?;
    client.write_all(b"hello").await?;
    let mut back = vec![0; 5];
    client.read_exact(&mut back).await?;
    server.await??;
    Ok(back)
}

#[test]
fn multi_thread_workers_entered_with_on_thread_start() {
    let reactor = Arc::new(EpollReactor::new().expect("epoll"));
    // The hook needs the host before the runtime it hooks is built, so the
    // host starts on another runtime (which runs its driver and its
    // spawns); the hooked runtime's workers run plain tokio tasks calling
    // protocol code.
    let driver_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio");
    let host = TokioHost::start_on(driver_rt.handle(), reactor).expect("host");
    let app = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .on_thread_start(host.on_thread_start())
        .enable_all()
        .build()
        .expect("tokio");
    let echoed = app.block_on(async {
        // A plain tokio task on a worker: it finds the host by the hook.
        tokio::spawn(echo_once()).await.expect("the task ran")
    });
    assert_eq!(echoed.expect("echo"), b"hello");
}

#[test]
fn block_on_runs_groups_and_timers_on_current_thread() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let host = TokioHost::start_on(rt.handle(), Arc::new(EpollReactor::new().expect("epoll")))
        .expect("host");
    let ran = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&ran);
    let result = host.block_on(&rt, async move {
        let group = TaskGroup::new();
        for i in 0..8u64 {
            let ran = Arc::clone(&counted);
            group.spawn(async move {
                baton_protocol::time::sleep(Duration::from_millis(8 - i)).await?;
                ran.fetch_add(1, Ordering::Relaxed);
                Ok::<_, Error>(())
            })?;
        }
        group.join().await?;
        baton_protocol::time::timeout(
            Duration::from_millis(5),
            baton_protocol::time::sleep(Duration::from_secs(3600)),
        )
        .await
    });
    assert!(matches!(result, Err(Error::Elapsed)), "{result:?}");
    assert_eq!(ran.load(Ordering::Relaxed), 8);
}

#[test]
fn run_adapter_serves_sockets() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio");
    let echoed = rt.block_on(async {
        let host = TokioHost::start(Arc::new(EpollReactor::new().expect("epoll")))?;
        host.run(echo_once()).await
    });
    assert_eq!(echoed.expect("echo"), b"hello");
}
