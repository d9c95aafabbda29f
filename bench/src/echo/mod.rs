//! The echo workload's two sides: the servers (`baton-bench serve
//! <runtime>`: every async runtime, and a hand-written mio loop as the
//! no-runtime limit) and the one load generator every server is measured
//! with (`baton-bench load`).

mod load;
mod mio_loop;

use std::io::{self, BufRead, Write};
use std::net::TcpListener;
use std::thread;

pub(crate) use load::{LoadArgs, run as load};

use crate::rt::{self, Job, Kind, Rt};

/// Serves echo on a loopback port with the runtime `kind`: prints
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
    if kind == Kind::Mio {
        return mio_loop::serve(listener).map_err(|e| format!("mio loop: {e}"));
    }
    rt::with_runtime(kind, Serve(listener))
}

/// The echo server as a job on any runtime.
struct Serve(TcpListener);

impl Job for Serve {
    type Output = ();

    fn run<R: Rt>(self, rt: &R) {
        rt.block_on(R::serve_echo(self.0));
    }
}
