//! A key-value server speaking RESP2, the Redis wire protocol, that
//! `redis-cli` and `redis-benchmark` drive as they drive Redis.
//!
//! # Commands
//!
//! | command | reply |
//! |---------|-------|
//! | `PING [message]` | `+PONG`, or the message |
//! | `ECHO message` | the message |
//! | `SET key value [NX \| XX] [GET] [EX s \| PX ms \| EXAT unix-s \| PXAT unix-ms \| KEEPTTL]` | `+OK`; nil if NX / XX refused; the old value with `GET` |
//! | `GET key` | the value, or nil |
//! | `DEL key [key ...]`, `EXISTS key [key ...]` | how many were deleted / exist (a key named twice counts twice for `EXISTS`) |
//! | `INCR key`, `DECR key` | the new value; a missing key counts as 0; the expiry is kept |
//! | `MGET key [key ...]` | an array of values and nils |
//! | `MSET key value [key value ...]` | `+OK`; expiries are cleared |
//! | `EXPIRE key seconds [NX \| XX \| GT \| LT]` | 1 if set (a time in the past deletes the key), 0 if not |
//! | `TTL key` | seconds left (rounded), -1 without expiry, -2 without the key |
//! | `DBSIZE` | keys held (as in Redis, an expired key counts until the expirer removes it, at its deadline) |
//! | `FLUSHDB [ASYNC \| SYNC]` | `+OK` |
//! | `QUIT` | `+OK`, then the server closes the connection |
//!
//! Requests come as RESP multibulk arrays or as inline commands (one line,
//! split like Redis' `sdssplitargs`, quotes included); both may be
//! pipelined: every complete request in the input is answered, and answers
//! are written in batches (at most 64 KiB pending before a write).
//!
//! # Errors, as Redis 7.0 gives them
//!
//! Every error reply was compared byte for byte with `redis-server` 7.0:
//!
//! - unknown command: `-ERR unknown command 'foo', with args beginning with: 'a' 'b' `
//!   (name cut to 128 bytes, arguments listed while the list is under
//!   128 bytes, line breaks turned into spaces);
//! - wrong arity: `-ERR wrong number of arguments for 'get' command`;
//! - bad values: `-ERR value is not an integer or out of range`,
//!   `-ERR increment or decrement would overflow`, `-ERR syntax error`,
//!   `-ERR invalid expire time in 'set' command`, `-ERR Unsupported option x`,
//!   `-ERR NX and XX, GT or LT options at the same time are not compatible`,
//!   `-ERR GT and LT options at the same time are not compatible`;
//! - malformed input: `-ERR Protocol error: invalid multibulk length`,
//!   `invalid bulk length`, `expected '$', got 'x'`, `unbalanced quotes in
//!   request`, `too big mbulk count string`, `too big bulk count string`,
//!   `too big inline request`; then the connection is closed, after the
//!   replies of the requests before it;
//! - an HTTP request (`POST`, `Host:`): closed without a reply, Redis'
//!   guard against cross-protocol attacks.
//!
//! Quirks kept from Redis: the two bytes after a bulk string are skipped
//! without checking that they are `\r\n`; a NUL byte in a header or inline
//! line makes the server wait for more input (Redis searches lines with
//! `strchr`), until the 64 KiB line limit; option names and names quoted in
//! errors are cut at a NUL byte (Redis compares them as C strings).
//!
//! # Limits
//!
//! A client can hold only so much of the server's memory ([`Config`]):
//!
//! - a bulk string longer than [`ProtoLimits::max_bulk_len`] (16 MiB by
//!   default; Redis' `proto-max-bulk-len` is 512 MiB) is
//!   `Protocol error: invalid bulk length`;
//! - more than [`ProtoLimits::max_args`] arguments (1 048 576) is
//!   `Protocol error: invalid multibulk length`;
//! - header and inline lines end within 64 KiB ([`INLINE_MAX`]);
//! - a connection holding more than
//!   [`Config::query_buffer_limit`] bytes of unparsed input and partial
//!   arguments (64 MiB; Redis' `client-query-buffer-limit` is 1 GiB), or a
//!   reply longer than [`Config::output_limit`] (64 MiB) is closed without
//!   a reply, as Redis closes such clients;
//! - past [`Config::max_clients`] connections (10 000, as Redis'
//!   `maxclients`) a new client gets `-ERR max number of clients reached`.
//!
//! The server never reads more while replies are unwritten, so a client
//! that sends without reading stalls only its own connection. A client that
//! vanishes mid-request leaves nothing behind. The keyspace itself grows
//! with the data stored, as Redis' does without `maxmemory`.
//!
//! # Expiry
//!
//! Deadlines are instants of the reactor's clock. A key past its deadline
//! is never returned (checked on every access), and a task sleeping on the
//! runtime's timers removes such keys when their deadline comes (see
//! `expire.rs`), so they do not hold memory until read.

mod command;
mod conn;
mod db;
mod expire;
mod number;
mod parse;
mod reply;
mod split;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use baton_protocol::net::TcpListener;
use baton_protocol::{Error, Handle, Reactor, spawn};

use self::db::Db;
pub use self::parse::{INLINE_MAX, ProtoLimits};
use crate::server::accept_loop;

/// The server's limits; see the module's [Limits](self#limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Bulk string and argument-count limits of requests.
    pub proto: ProtoLimits,
    /// The most bytes of unparsed input and partial arguments one
    /// connection may hold.
    pub query_buffer_limit: usize,
    /// The most reply bytes one connection may have pending.
    pub output_limit: usize,
    /// The most connections served at once.
    pub max_clients: usize,
}

impl Config {
    /// Checks that the limits are consistent: the query buffer must hold
    /// the longest bulk string with its headers.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] naming the problem.
    pub fn validate(&self) -> Result<(), Error> {
        let needed = self.proto.max_bulk_len.saturating_add(2 * INLINE_MAX);
        if self.query_buffer_limit < needed {
            return Err(Error::InvalidState(
                "the query buffer limit must exceed the largest bulk string by 128 KiB",
            ));
        }
        if self.proto.max_args == 0 || self.max_clients == 0 {
            return Err(Error::InvalidState(
                "max-args and maxclients must be at least 1",
            ));
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            proto: ProtoLimits {
                max_bulk_len: 16 * 1024 * 1024,
                max_args: 1024 * 1024,
            },
            query_buffer_limit: 64 * 1024 * 1024,
            output_limit: 64 * 1024 * 1024,
            max_clients: 10_000,
        }
    }
}

/// What every connection shares.
struct Shared {
    config: Config,
    db: Mutex<Db>,
    clients: Clients,
    reactor: Arc<dyn Reactor>,
}

impl Shared {
    /// The keyspace. A panic while it was held (none is expected) leaves it
    /// consistent enough to keep serving: each command's changes are small
    /// and self-contained.
    fn lock(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts connections against `maxclients`.
struct Clients {
    max: usize,
    count: AtomicUsize,
}

impl Clients {
    /// Takes a slot, released when the guard drops; `None` when full.
    fn enter(&self) -> Option<ClientSlot<'_>> {
        let taken = self
            .count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            });
        taken.ok().map(|_| ClientSlot { clients: self })
    }
}

/// One connection's place among the `maxclients`.
struct ClientSlot<'a> {
    clients: &'a Clients,
}

impl Drop for ClientSlot<'_> {
    fn drop(&mut self) {
        self.clients.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves RESP clients on `listener` until the runtime shuts down, with
/// one task per connection and one for active expiry.
///
/// # Errors
///
/// [`Error::InvalidState`] for inconsistent limits
/// ([`Config::validate`]); [`Error::NoRuntime`] outside a runtime;
/// otherwise only what ends the runtime.
pub async fn serve(listener: &TcpListener, config: Config) -> Result<(), Error> {
    config.validate()?;
    let shared = Arc::new(Shared {
        config,
        db: Mutex::new(Db::default()),
        clients: Clients {
            max: config.max_clients,
            count: AtomicUsize::new(0),
        },
        reactor: Arc::clone(Handle::current()?.reactor()),
    });
    spawn(expire::run(Arc::clone(&shared)))?.detach();
    accept_loop(listener, |stream, peer| {
        conn::serve(stream, peer, Arc::clone(&shared))
    })
    .await
}
