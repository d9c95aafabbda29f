//! The `http` workload's server side (`baton-bench serve-http <runtime>`):
//! one hyper service, HTTP/1.1, on every runtime through that runtime's
//! glue: `baton-hyper` on baton, hyper-util's `TokioIo` / `TokioTimer` on
//! tokio, and on smol `BatonIo` (runtime-neutral futures-io glue) with a
//! timer of our own ([`smol`]). wrk is the client (`suite/http.rs`).

pub(crate) mod smol;

use std::convert::Infallible;
use std::io::{self, BufRead, Write};
use std::net::TcpListener;
use std::thread;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

use crate::rt::{self, Job, Kind, Rt};

/// The service every runtime serves: a fixed `hello` body, as the `http`
/// example's `/` route answers.
pub(crate) async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello\n"))))
}

/// Serves [`hello`] on a loopback port with the runtime `kind`: prints
/// `listening <addr>`, then serves until standard input closes.
///
/// # Errors
///
/// The port cannot be bound, or the runtime cannot be built.
pub(crate) fn serve(kind: Kind) -> Result<(), String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The suite ends the server by closing its standard input.
    thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(|| {
            for line in io::stdin().lock().lines() {
                if line.is_err() {
                    break;
                }
            }
            std::process::exit(0);
        })
        .map_err(|e| e.to_string())?;
    println!("listening {addr}");
    io::stdout().flush().map_err(|e| e.to_string())?;
    rt::with_runtime(kind, Serve(listener))
}

/// The HTTP server as a job on any runtime.
struct Serve(TcpListener);

impl Job for Serve {
    type Output = ();

    fn run<R: Rt>(self, rt: &R) {
        rt.block_on(R::serve_http(self.0));
    }
}
