//! A line-based chat room: every line a client sends is broadcast to every
//! other connected client.
//!
//! # Protocol
//!
//! Plain text, one message per line (`\n` or `\r\n`), usable from `nc` or
//! `telnet`:
//!
//! ```text
//! server: * welcome to baton chat; what is your name?
//! client: ada
//! server: * hello ada; here: bob, cy          (or: nobody else is here)
//! others: * ada joined
//! client: hi all
//! others: ada: hi all
//! client: /quit                                (or just close)
//! server: * bye
//! others: * ada left
//! ```
//!
//! A name is 1 to [`MAX_NAME`] bytes of UTF-8 without spaces or control
//! characters, unique in the room; otherwise the server asks again. A
//! sender does not get its own lines back.
//!
//! # Slow clients
//!
//! Every client has a bounded queue of outgoing lines
//! ([`Config::queue_len`]), which its connection drains into the socket.
//! Broadcasting never waits: a line is put in each other client's queue,
//! and a client whose queue is full is **disconnected** and the others told
//! `* bob left (too slow)`. A queue fills only once the client's socket
//! buffers are full too, that is when it has stopped reading: after each
//! line it broadcasts, a sender's task yields, so the writers drain the
//! queues between the lines of even a pasted burst. So one client that stops
//! reading never stalls the room, and the memory a client holds is bounded
//! by `queue_len` lines of at most [`Config::max_line`] bytes plus the
//! kernel's socket buffers. Disconnecting rather than dropping lines is
//! deliberate: a chat that silently loses lines misleads its readers.
//!
//! A line longer than `max_line` bytes ends the session with
//! `* line too long (at most N bytes); bye`.
//!
//! # Examples
//!
//! ```no_run
//! use baton_examples::chat::{Config, serve};
//! use baton_protocol::net::TcpListener;
//!
//! # async fn demo() -> Result<(), baton_protocol::Error> {
//! let listener = TcpListener::bind(([127, 0, 0, 1], 7070))?;
//! serve(&listener, Config::default()).await
//! # }
//! ```

mod lines;
mod room;
mod session;

use std::sync::Arc;

use baton_protocol::Error;
use baton_protocol::net::TcpListener;

use self::room::Room;
use crate::server::accept_loop;

/// The longest name, in bytes.
pub const MAX_NAME: usize = 32;

/// The room's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Lines queued for a client before it counts as too slow and is
    /// disconnected (at least 1).
    pub queue_len: usize,
    /// The longest line a client may send, in bytes.
    pub max_line: usize,
}

impl Default for Config {
    /// 128 queued lines, lines of at most 4 KiB.
    fn default() -> Config {
        Config {
            queue_len: 128,
            max_line: 4096,
        }
    }
}

/// Runs the room on `listener` until the runtime shuts down, one task per
/// client.
///
/// # Errors
///
/// [`Error::InvalidState`] for a zero `queue_len` or `max_line`; otherwise
/// only what ends the runtime.
pub async fn serve(listener: &TcpListener, config: Config) -> Result<(), Error> {
    if config.queue_len == 0 || config.max_line == 0 {
        return Err(Error::InvalidState(
            "the chat queue and line length must be at least 1",
        ));
    }
    let room = Arc::new(Room::new(config.queue_len, MAX_NAME));
    accept_loop(listener, |stream, peer| {
        session::serve(stream, peer, Arc::clone(&room), config)
    })
    .await
}
