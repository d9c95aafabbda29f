//! The conformance matrix on the hosts: tokio (current-thread, and
//! multi-thread with 4 workers) and smol (the `block_on` thread alone, and
//! 4 workers) running the protocol over baton's reactors, driven as
//! guests. `cargo xtask conformance` joins these pairs to the main matrix
//! (`--with-runner`).

mod host_backends;

use std::os::unix::net::UnixDatagram;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    // async-io's reactor (three fds) and its driver thread are process
    // globals, made on first use and never closed: make both before any
    // case, so that a case's resource check counts only what the case
    // itself leaves behind. Registering a socket opens the reactor on this
    // thread; `block_on` starts the driver thread.
    match UnixDatagram::unbound().and_then(async_io::Async::new) {
        Ok(socket) => drop(socket),
        Err(e) => {
            eprintln!("hosts: cannot start async-io's reactor: {e}");
            return ExitCode::FAILURE;
        }
    }
    async_io::block_on(async_io::Timer::after(Duration::from_millis(1)));
    // tokio's signal driver opens a socket pair of its own the first time a
    // runtime with I/O is built, and keeps it for the process's life; it
    // exists only where tokio's `signal` feature is compiled in, as in a
    // workspace build where another crate (the bench's `tokio::process`)
    // turns it on. Built and dropped here, before any case.
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => drop(rt),
        Err(e) => {
            eprintln!("hosts: cannot build a tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    }
    host_backends::suite().main()
}
