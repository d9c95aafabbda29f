//! One client's session: naming, then reading lines into the room while
//! writing the room's lines out.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use baton_protocol::net::TcpStream;
use baton_protocol::task::yield_now;
use baton_protocol::time::timeout;
use futures_lite::{AsyncWriteExt, future};

use super::lines::{Line, LineReader};
use super::room::{Joined, Message, Refused, Room};
use super::{Config, MAX_NAME};
use crate::server::is_disconnect;

/// How long a leaving client gets to take the lines still queued for it.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// How a joined session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// The client closed its side.
    Gone,
    /// The client sent `/quit`.
    Quit,
    /// The client sent a line longer than the limit.
    TooLong,
    /// The room dropped the client: its queue was full.
    Kicked,
}

/// Serves one client until it leaves or is dropped.
pub(super) async fn serve(stream: TcpStream, peer: SocketAddr, room: Arc<Room>, config: Config) {
    if let Err(e) = session(&stream, &room, config).await
        && !is_disconnect(&e)
    {
        eprintln!("chat: {peer}: {e}");
    }
    let _ = stream.shutdown(Shutdown::Both);
}

async fn session(stream: &TcpStream, room: &Room, config: Config) -> io::Result<()> {
    let mut writer = stream;
    let mut lines = LineReader::new(config.max_line);
    writer
        .write_all(b"* welcome to baton chat; what is your name?\n")
        .await?;
    let Joined {
        id,
        name,
        queue,
        kick,
    } = loop {
        let name = match lines.next(stream).await? {
            Line::Text(name) => name,
            Line::End => return Ok(()),
            Line::TooLong => return writer.write_all(&too_long(config)).await,
        };
        match room.join(&name) {
            Ok(joined) => break joined,
            Err(Refused::Taken) => {
                writer
                    .write_all(b"* that name is taken; another?\n")
                    .await?
            }
            Err(Refused::Invalid) => {
                let ask = format!("* a name is 1 to {MAX_NAME} bytes, no spaces; another?\n");
                writer.write_all(ask.as_bytes()).await?;
            }
        }
    };

    // The message being written and how much of it is out: kept outside the
    // writing future so that ending the session never cuts a line short.
    let mut pending: Option<(Message, usize)> = None;
    let ended = {
        let reading = async {
            loop {
                match lines.next(stream).await? {
                    Line::Text(line) if line == b"/quit" => return Ok::<_, io::Error>(Ended::Quit),
                    Line::Text(line) => {
                        room.say(id, &name, &line);
                        // Let the writers take the line before this client's
                        // next one: a client pasting many lines at once is a
                        // burst, not a reason to find the others slow.
                        yield_now().await;
                    }
                    Line::End => return Ok(Ended::Gone),
                    Line::TooLong => return Ok(Ended::TooLong),
                }
            }
        };
        let writing = async {
            loop {
                if pending.is_none() {
                    match queue.recv().await {
                        Ok(message) => pending = Some((message, 0)),
                        // Only the room closes the queue, by dropping us.
                        Err(_) => return Ok(Ended::Kicked),
                    }
                }
                write_pending(stream, &mut pending).await?;
            }
        };
        let kicked = async {
            // Completed only by the room, with a value.
            let _ = (&kick).await;
            Ok(Ended::Kicked)
        };
        future::or(reading, future::or(writing, kicked)).await
    };
    room.leave(id);
    let farewell = match ended? {
        Ended::Kicked => return Ok(()),
        Ended::Gone => None,
        Ended::Quit => Some(b"* bye\n".to_vec()),
        Ended::TooLong => Some(too_long(config)),
    };
    // What was queued before leaving, then the farewell; a client that does
    // not take it in time is closed anyway.
    let drain = async {
        write_pending(stream, &mut pending).await?;
        while let Ok(message) = queue.try_recv() {
            pending = Some((message, 0));
            write_pending(stream, &mut pending).await?;
        }
        if let Some(farewell) = farewell {
            writer.write_all(&farewell).await?;
        }
        Ok::<_, io::Error>(())
    };
    match timeout(DRAIN_TIME, drain).await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}

fn too_long(config: Config) -> Vec<u8> {
    format!("* line too long (at most {} bytes); bye\n", config.max_line).into_bytes()
}

/// Writes the rest of the pending message, recording progress after each
/// write so that the caller can stop and resume at any point.
async fn write_pending(
    stream: &TcpStream,
    pending: &mut Option<(Message, usize)>,
) -> io::Result<()> {
    let mut writer = stream;
    while let Some((message, written)) = pending.as_mut() {
        let n = writer.write(&message[*written..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        *written += n;
        if *written == message.len() {
            *pending = None;
        }
    }
    Ok(())
}
