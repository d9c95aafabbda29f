//! SIGINT and SIGTERM as a future, through a pipe the reactor watches.
//!
//! The protocol has no signal module: `signal-hook` installs the handlers,
//! which write a byte into a socket pair (async-signal-safe), and the other
//! end is a [`UnixStream`] registered with the runtime's reactor, so waiting
//! for a signal is waiting for that end to be readable, on any backend.

use std::io;
use std::os::unix::net::UnixStream as StdUnixStream;

use baton_protocol::net::UnixStream;
use futures_lite::AsyncReadExt;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::low_level::pipe;

/// A registration of SIGINT and SIGTERM; [`Signals::recv`] waits for one.
#[derive(Debug)]
pub struct Signals {
    read: UnixStream,
    ids: Vec<signal_hook::SigId>,
}

impl Signals {
    /// Installs the handlers (replacing the default action, which would end
    /// the process) and registers the pipe with the current runtime.
    ///
    /// # Errors
    ///
    /// `socketpair`, `sigaction`, or registering with the reactor (outside
    /// a runtime: an error carrying `NoRuntime`).
    pub fn new() -> io::Result<Signals> {
        let (read, write) = StdUnixStream::pair()?;
        write.set_nonblocking(true)?;
        let mut ids = Vec::new();
        for signal in [SIGINT, SIGTERM] {
            ids.push(pipe::register(signal, write.try_clone()?)?);
        }
        Ok(Signals {
            read: UnixStream::from_std(read)?,
            ids,
        })
    }

    /// Waits for SIGINT or SIGTERM.
    ///
    /// # Errors
    ///
    /// A read error of the pipe.
    pub async fn recv(&mut self) -> io::Result<()> {
        let mut byte = [0];
        self.read.read_exact(&mut byte).await
    }
}

impl Drop for Signals {
    /// Removes the handlers this registration installed.
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
