//! The `http` server in process, on every reactor × executor pair: bad
//! input (malformed, oversized, cut off, silent, a panicking handler) ends
//! its connections and leaves no task behind, as the executor counts them.

use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use baton_examples::http::{Config, serve};
use baton_protocol::net::{TcpListener, TcpStream};
use baton_protocol::time::{now, sleep};
use baton_protocol::{Error, Handle, spawn};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// Not a speed claim: only a guard that fails a hung run with a message.
const HANG_GUARD: Duration = Duration::from_secs(20);

/// Sends `request` (ignoring a reset: the server may close first), closes
/// the sending side if `hang_up`, and reads the reply to the end.
async fn exchange(addr: SocketAddr, request: &[u8], hang_up: bool) -> Result<String, Error> {
    let mut stream = TcpStream::connect(addr).await?;
    let _ = stream.write_all(request).await;
    if hang_up {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let mut reply = Vec::new();
    if let Err(e) = stream.read_to_end(&mut reply).await
        && e.kind() != std::io::ErrorKind::ConnectionReset
    {
        return Err(e.into());
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[test]
fn bad_input_leaves_no_task_behind() {
    baton_testing::each_pair!(|pair| {
        pair.run(async {
            let spawner = Handle::current()?.spawner().clone();
            let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
            let addr = listener.local_addr()?;
            let before = spawner.alive_tasks();
            spawn(
                async move { serve(&listener, Config::default(), std::future::pending()).await },
            )?
            .detach();
            // The server's own task, and nothing else, while it is idle.
            let baseline = before + 1;

            let garbage = exchange(addr, b"GARBAGE\r\n\r\n", true).await?;
            assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage:?}");
            let mut big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
            big.extend(std::iter::repeat_n(b'a', 1 << 20));
            let oversized = exchange(addr, &big, true).await?;
            assert!(
                oversized.is_empty() || oversized.starts_with("HTTP/1.1 431 "),
                "{oversized:?}"
            );
            let cut = exchange(
                addr,
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
                true,
            )
            .await?;
            // The echo may have started; it cannot finish: fewer than the
            // 100 bytes its content-length announces, then the close.
            let body = cut.split_once("\r\n\r\n").map_or("", |(_, body)| body);
            assert!(body.len() < 100, "no complete reply: {cut:?}");
            assert_eq!(exchange(addr, b"", true).await?, "", "a silent client");
            let panicked = exchange(
                addr,
                b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n\
                  GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                false,
            )
            .await?;
            assert!(panicked.starts_with("HTTP/1.1 500 "), "{panicked:?}");
            assert!(
                panicked.ends_with("\r\n\r\nhello\n"),
                "the next request: {panicked:?}"
            );

            // Every connection's task ends once its connection does.
            let start = now();
            while spawner.alive_tasks() != baseline {
                assert!(
                    now() - start < HANG_GUARD,
                    "{} tasks alive, {baseline} expected",
                    spawner.alive_tasks()
                );
                sleep(Duration::from_millis(1)).await?;
            }
            Ok::<_, Error>(())
        })?
    });
}
