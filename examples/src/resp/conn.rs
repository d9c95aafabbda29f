//! One client connection: read, parse every complete request, answer in
//! batches, enforce the per-connection limits.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use baton_protocol::net::TcpStream;
use baton_protocol::time::timeout;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

use super::Shared;
use super::command::{Ctx, Flow, OUTPUT_LIMIT, execute};
use super::parse::RequestParser;
use super::reply::Replies;
use crate::server::is_disconnect;

/// The smallest read: what a burst of pipelined small requests fits in.
const READ_CHUNK: usize = 16 * 1024;
/// The largest read, when a big bulk string is on its way.
const MAX_READ: usize = 1024 * 1024;
/// Replies are written once this many bytes are pending, even if more
/// complete requests are buffered, so a long pipeline streams its answers.
const FLUSH_AT: usize = 64 * 1024;
/// After a protocol error or `QUIT`: how long, and how many bytes, the
/// server keeps reading (and discarding) what the client still sends, so
/// that closing does not reset the connection before the client has read
/// the last reply.
const LINGER_TIME: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 1024 * 1024;

/// How a connection ended, for the log.
#[derive(Debug)]
enum End {
    /// The client closed (or reset) the connection, possibly mid-request.
    Gone,
    /// After `QUIT` or a protocol error, once the replies were written.
    Closed,
    /// Dropped without a reply: a limit, or an HTTP request.
    Dropped(&'static str),
}

/// Serves one client until it leaves or must be closed.
pub(super) async fn serve(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let Some(_slot) = shared.clients.enter() else {
        // Redis' answer when `maxclients` is reached, then close.
        let refusal = async {
            (&stream)
                .write_all(b"-ERR max number of clients reached\r\n")
                .await
        };
        let _ = timeout(LINGER_TIME, refusal).await;
        close_gracefully(&stream).await;
        return;
    };
    let mut conn = Connection {
        stream: &stream,
        parser: RequestParser::new(shared.config.proto),
        input: Vec::new(),
        pos: 0,
        out: Replies::default(),
    };
    match conn.run(&shared).await {
        Ok(End::Gone) => {}
        Ok(End::Closed) => close_gracefully(&stream).await,
        Ok(End::Dropped(why)) => eprintln!("resp: {peer}: closing the connection: {why}"),
        Err(e) if is_disconnect(&e) => {}
        Err(e) => eprintln!("resp: {peer}: {e}"),
    }
}

struct Connection<'a> {
    stream: &'a TcpStream,
    parser: RequestParser,
    /// Input not yet consumed starts at `pos`.
    input: Vec<u8>,
    pos: usize,
    out: Replies,
}

impl Connection<'_> {
    async fn run(&mut self, shared: &Shared) -> io::Result<End> {
        let limits = &shared.config;
        loop {
            if self.read().await? == 0 {
                return Ok(End::Gone);
            }
            let held = self.input.len() - self.pos + self.parser.footprint();
            if held > limits.query_buffer_limit {
                return Ok(End::Dropped("it reached the query buffer limit"));
            }
            loop {
                let (flow, more) = self.batch(shared);
                if !matches!(flow, Flow::Drop(_)) && self.out.len() > 0 {
                    let mut writer = self.stream;
                    writer.write_all(self.out.as_bytes()).await?;
                }
                self.out.clear();
                match flow {
                    Flow::Continue if more => continue,
                    Flow::Continue => break,
                    Flow::Close => return Ok(End::Closed),
                    Flow::Drop(why) => return Ok(End::Dropped(why)),
                }
            }
            // Everything before `pos` is consumed: keep only the rest.
            self.input.drain(..self.pos);
            self.pos = 0;
            if self.input.is_empty() && self.input.capacity() > MAX_READ {
                self.input = Vec::new();
            }
        }
    }

    /// Reads what the client sent, at least [`READ_CHUNK`] bytes' room and
    /// more while a large bulk string is due.
    async fn read(&mut self) -> io::Result<usize> {
        let available = self.input.len() - self.pos;
        let room = self.parser.wanted(available).clamp(READ_CHUNK, MAX_READ);
        let len = self.input.len();
        self.input.resize(len + room, 0);
        let mut reader = self.stream;
        let result = reader.read(&mut self.input[len..]).await;
        self.input.truncate(len + *result.as_ref().unwrap_or(&0));
        result
    }

    /// Runs the complete requests in the input, under one lock of the
    /// keyspace, until the input runs out or [`FLUSH_AT`] bytes of replies
    /// are pending.
    ///
    /// # Return value
    ///
    /// What to do next, and whether complete requests may remain.
    fn batch(&mut self, shared: &Shared) -> (Flow, bool) {
        let mut db = shared.lock();
        let mut ctx = Ctx {
            db: &mut db,
            now: shared.reactor.now(),
            unix_ms: unix_ms(),
            out: &mut self.out,
            output_limit: shared.config.output_limit,
        };
        loop {
            if ctx.out.len() >= FLUSH_AT {
                return (Flow::Continue, true);
            }
            match self.parser.advance(&self.input, &mut self.pos) {
                Ok(true) => {}
                Ok(false) => return (Flow::Continue, false),
                Err(e) => {
                    ctx.out.error(&e.message());
                    return (Flow::Close, false);
                }
            }
            let flow = if self.parser.args().len() == 0 {
                Flow::Continue
            } else {
                execute(&mut ctx, self.parser.args())
            };
            self.parser.finish();
            if ctx.out.len() > ctx.output_limit {
                return (Flow::Drop(OUTPUT_LIMIT), false);
            }
            if flow != Flow::Continue {
                return (flow, false);
            }
        }
    }
}

/// Wall-clock Unix time in milliseconds (0 before 1970).
fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Half-closes, then reads and discards what the client still sends for a
/// moment: closing a socket with unread input resets the connection, and a
/// reset can destroy the last reply before the client reads it.
async fn close_gracefully(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let drain = async {
        let mut reader = stream;
        let mut scratch = [0; 4096];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match reader.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = timeout(LINGER_TIME, drain).await;
}
