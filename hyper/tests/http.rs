//! hyper's server and client over `BatonIo`, `BatonExecutor` and
//! `BatonTimer`, on every reactor × executor pair: HTTP/1.1, HTTP/2 (whose
//! streams are tasks spawned through the executor), and hyper's own
//! header-read timeout firing at its exact virtual instant.

use std::convert::Infallible;
use std::time::Duration;

use baton::io::{AsyncReadExt, AsyncWriteExt};
use baton::net::{TcpListener, TcpStream};
use baton_hyper::{BatonExecutor, BatonIo, BatonTimer};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::rt::Timer;
use hyper::service::service_fn;
use hyper::{Request, Response};

/// Echoes the request body, prefixed with the path.
async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = request.uri().path().to_owned();
    let body = request.into_body().collect().await?.to_bytes();
    let mut reply = path.into_bytes();
    reply.extend_from_slice(&body);
    Ok(Response::new(Full::new(Bytes::from(reply))))
}

#[baton::test(each_pair, timeout = "20s")]
async fn http2_streams_run_as_tasks_of_the_runtime()
-> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    let addr = listener.local_addr()?;
    baton::spawn(async move {
        let (stream, _) = listener.accept().await?;
        hyper::server::conn::http2::Builder::new(BatonExecutor::new())
            .timer(BatonTimer::new())
            .serve_connection(BatonIo::new(stream), service_fn(echo))
            .await
            .map_err(std::io::Error::other)
    })?
    .detach();

    let stream = TcpStream::connect(addr).await?;
    let (sender, conn) = hyper::client::conn::http2::Builder::new(BatonExecutor::new())
        .timer(BatonTimer::new())
        .handshake(BatonIo::new(stream))
        .await?;
    baton::spawn(conn)?.detach();
    // Three requests in flight at once on one connection.
    let mut requests = Vec::new();
    for i in 0..3 {
        let mut sender = sender.clone();
        requests.push(baton::spawn(async move {
            let request = Request::post(format!("http://{addr}/r{i}"))
                .body(Full::new(Bytes::from(format!(":{i}"))))?;
            let response = sender.send_request(request).await?;
            assert_eq!(response.version(), hyper::Version::HTTP_2);
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(body)
        })?);
    }
    for (i, request) in requests.into_iter().enumerate() {
        assert_eq!(request.await??, format!("/r{i}:{i}"));
    }
    Ok(())
}

#[baton::test(each_pair, timeout = "20s")]
async fn http1_large_bodies_both_ways() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    let addr = listener.local_addr()?;
    baton::spawn(async move {
        let (stream, _) = listener.accept().await?;
        hyper::server::conn::http1::Builder::new()
            .timer(BatonTimer::new())
            .serve_connection(BatonIo::new(stream), service_fn(echo))
            .await
            .map_err(std::io::Error::other)
    })?
    .detach();

    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(BatonIo::new(stream)).await?;
    baton::spawn(conn)?.detach();
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let request = Request::post("/big")
        .header("host", "localhost")
        .body(Full::new(Bytes::from(big.clone())))?;
    let response = sender.send_request(request).await?;
    let body = response.into_body().collect().await?.to_bytes();
    assert_eq!(&body[..4], b"/big");
    assert!(body[4..] == big[..], "a megabyte back intact");
    Ok(())
}

#[baton::test(virtual_time, each_pair, timeout = "20s")]
async fn header_read_timeout_fires_at_its_virtual_instant()
-> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    let addr = listener.local_addr()?;
    let server = baton::spawn(async move {
        let (stream, _) = listener.accept().await?;
        let served = hyper::server::conn::http1::Builder::new()
            .timer(BatonTimer::new())
            .header_read_timeout(Duration::from_secs(30))
            .serve_connection(
                BatonIo::new(stream),
                service_fn(|_| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("never"))))
                }),
            )
            .await;
        Ok::<_, std::io::Error>(served.is_err())
    })?;

    let timer = BatonTimer::new();
    let start = timer.now();
    let mut client = TcpStream::connect(addr).await?;
    // A slowloris: part of a request head, then nothing.
    client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await?;
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).await?;
    assert_eq!(
        timer.now() - start,
        Duration::from_secs(30),
        "at the virtual deadline"
    );
    // hyper closes a connection whose head timed out without a reply.
    assert_eq!(String::from_utf8_lossy(&reply), "");
    assert!(
        server.await??,
        "the connection ended with hyper's timeout error"
    );
    Ok(())
}
