//! The room: who is here, and broadcasting a line to everyone else.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_channel::{Receiver, Sender, TrySendError};
use baton_protocol::Promise;

/// A line on its way to clients, shared by every queue it is in.
pub(super) type Message = Arc<[u8]>;

/// One member as the room sees it.
#[derive(Debug)]
struct Member {
    name: String,
    /// The member's outgoing queue, drained by its connection.
    queue: Sender<Message>,
    /// Completed when the room drops the member for being too slow.
    kick: Promise<()>,
}

/// Why a name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// Empty, too long, not UTF-8, or with spaces or control characters.
    Invalid,
    /// Someone here has it.
    Taken,
}

/// What a member holds after joining.
#[derive(Debug)]
pub(super) struct Joined {
    pub(super) id: u64,
    pub(super) name: String,
    /// Lines for this member, in the order the room sent them.
    pub(super) queue: Receiver<Message>,
    /// Completed if the room drops this member for being too slow.
    pub(super) kick: Promise<()>,
}

/// The chat room, shared by every connection.
#[derive(Debug)]
pub(super) struct Room {
    state: Mutex<State>,
    queue_len: usize,
    max_name: usize,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    /// Ordered by joining, so listings read in arrival order.
    members: BTreeMap<u64, Member>,
}

impl Room {
    pub(super) fn new(queue_len: usize, max_name: usize) -> Room {
        Room {
            state: Mutex::new(State::default()),
            queue_len,
            max_name,
        }
    }

    /// The room's state; a panic while it was held (none is expected)
    /// leaves it usable: each change is a single insert or remove.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Joins as `name`: tells the others, and greets the newcomer (the
    /// greeting is the first line of its queue).
    ///
    /// # Errors
    ///
    /// The reason a name is refused.
    pub(super) fn join(&self, name: &[u8]) -> Result<Joined, Refused> {
        let name = std::str::from_utf8(name).map_err(|_| Refused::Invalid)?;
        let valid = !name.is_empty()
            && name.len() <= self.max_name
            && !name.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid {
            return Err(Refused::Invalid);
        }
        let mut state = self.lock();
        if state.members.values().any(|m| m.name == name) {
            return Err(Refused::Taken);
        }
        let others: Vec<&str> = state.members.values().map(|m| m.name.as_str()).collect();
        let greeting = if others.is_empty() {
            format!("* hello {name}; nobody else is here\n")
        } else {
            format!("* hello {name}; here: {}\n", others.join(", "))
        };
        let (sender, queue) = async_channel::bounded(self.queue_len);
        // The queue is new and at least one long.
        let _ = sender.try_send(Message::from(greeting.into_bytes()));
        let id = state.next_id;
        state.next_id += 1;
        let kick = Promise::new();
        state.members.insert(
            id,
            Member {
                name: name.to_owned(),
                queue: sender,
                kick: kick.clone(),
            },
        );
        broadcast(&mut state, Some(id), notice(&format!("* {name} joined")));
        Ok(Joined {
            id,
            name: name.to_owned(),
            queue,
            kick,
        })
    }

    /// Sends `line` from member `id` to everyone else, as `name: line`.
    pub(super) fn say(&self, id: u64, name: &str, line: &[u8]) {
        let mut message = Vec::with_capacity(name.len() + line.len() + 3);
        message.extend_from_slice(name.as_bytes());
        message.extend_from_slice(b": ");
        message.extend_from_slice(line);
        message.push(b'\n');
        broadcast(&mut self.lock(), Some(id), message.into());
    }

    /// Removes member `id`, if the room has not dropped it already, and
    /// tells the others it left.
    pub(super) fn leave(&self, id: u64) {
        let mut state = self.lock();
        if let Some(member) = state.members.remove(&id) {
            let line = notice(&format!("* {} left", member.name));
            broadcast(&mut state, None, line);
        }
    }
}

fn notice(text: &str) -> Message {
    Message::from(format!("{text}\n").into_bytes())
}

/// Queues `message` for every member but `from`. A member whose queue is
/// full is too slow: it is dropped from the room (its connection closes
/// when it sees the kick), and the others are told, which may in turn find
/// another queue full.
fn broadcast(state: &mut State, from: Option<u64>, message: Message) {
    let mut pending = VecDeque::from([(from, message)]);
    while let Some((from, message)) = pending.pop_front() {
        let mut slow = Vec::new();
        for (&id, member) in &state.members {
            if Some(id) == from {
                continue;
            }
            match member.queue.try_send(Arc::clone(&message)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => slow.push(id),
                // Its connection is ending; it leaves on its own.
                Err(TrySendError::Closed(_)) => {}
            }
        }
        for id in slow {
            if let Some(member) = state.members.remove(&id) {
                // Nothing else completes a member's kick Promise.
                let _ = member.kick.set_result(());
                let line = notice(&format!("* {} left (too slow)", member.name));
                pending.push_back((None, line));
            }
        }
    }
}
