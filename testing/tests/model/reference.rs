//! The reference model: what the `Reactor` contract (protocol/src/reactor.rs)
//! says a reactor holds after each operation, with no I/O of its own.
//!
//! Where the contract leaves a choice, the model keeps both answers
//! possible: readiness is a hint (a `poll_ready` may be spuriously `Ready`
//! or, before the event is collected, `Pending`), so the model pins only
//! what the contract pins — errors, the cached readiness and its ticks, what
//! must be woken, which timers may and must fire, and the counts in
//! `stats()`. Liveness (no lost wake-up, a clear with data left re-delivers)
//! is checked by the world's settle loop against [`Model::must_deliver`].

use std::cmp::Ordering;
use std::time::Instant;

use baton_protocol::reactor::{SourceKey, Tick, TimerKey};
use baton_protocol::{Direction, Error, Interest};

use super::op::PIPES;

/// An error the contract names, as the model predicts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    NotRegistered,
    Closed,
    Shutdown,
    AlreadyRegistered,
    Unsupported,
    /// `Error::Io` of kind `InvalidInput`.
    InvalidInput,
}

impl Want {
    /// Whether `e` is this error.
    pub(crate) fn is(self, e: &Error) -> bool {
        match (self, e) {
            (Want::NotRegistered, Error::NotRegistered)
            | (Want::Closed, Error::Closed)
            | (Want::Shutdown, Error::Shutdown)
            | (Want::AlreadyRegistered, Error::AlreadyRegistered)
            | (Want::Unsupported, Error::Unsupported(_)) => true,
            (Want::InvalidInput, Error::Io(io)) => io.kind() == std::io::ErrorKind::InvalidInput,
            _ => false,
        }
    }
}

/// Where a registration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Life {
    Open(Interest),
    /// Closed through the protocol; the slot stays until deregistered.
    Closed,
    Gone,
}

/// What the model knows of one direction of one registration.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Half {
    /// The readiness the reactor must still report: the tick last returned,
    /// until a `clear_ready` with it (or a reregister dropping the
    /// direction).
    pub(crate) cached: Option<Tick>,
    /// The last tick returned, and the one before it.
    pub(crate) last: Option<Tick>,
    pub(crate) older: Option<Tick>,
    /// The highest returned tick handed back to `clear_ready`: never
    /// reported again (a clear with the current tick forgets it; with an
    /// older one, a newer tick is current).
    pub(crate) cleared: Option<Tick>,
    /// A park ran since `last` was returned: a newer tick may exist.
    pub(crate) parked_since_seen: bool,
    /// Cleared with the current tick and no park since: `poll_ready` must
    /// be `Pending` until the next park collects a new event.
    pub(crate) must_pend: bool,
}

/// One key handed out by `register`.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub(crate) key: SourceKey,
    pub(crate) pipe: usize,
    pub(crate) life: Life,
    pub(crate) halves: [Half; 2],
}

/// One socket pair, seen from its registered end.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pipe {
    /// Bytes the peer wrote that the registered end has not read.
    pub(crate) buffered: usize,
    /// The registered end wrote until `WouldBlock` and the peer has not
    /// drained since: not writable.
    pub(crate) full: bool,
    /// The source that holds the fd open in the reactor.
    pub(crate) holder: Option<usize>,
}

/// Where a timer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerLife {
    /// Armed; `seq` orders equal deadlines (insertion or last reset).
    Pending {
        deadline: Instant,
        seq: u64,
    },
    Fired {
        deadline: Instant,
    },
    Cancelled,
}

/// Whether an `unpark` is waiting for the next park.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unpark {
    No,
    Yes,
    /// Another thread's unpark may or may not have landed after the park.
    Maybe,
}

/// The whole reference state of one sequence.
#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) sources: Vec<Source>,
    pub(crate) pipes: [Pipe; PIPES],
    pub(crate) timers: Vec<(TimerKey, TimerLife)>,
    pub(crate) unpark: Unpark,
    pub(crate) shutdown: bool,
    next_seq: u64,
}

impl Model {
    pub(crate) fn new() -> Model {
        Model {
            sources: Vec::new(),
            pipes: [Pipe::default(); PIPES],
            timers: Vec::new(),
            unpark: Unpark::No,
            shutdown: false,
            next_seq: 0,
        }
    }

    /// The error an operation on source `src` (`None`: a key never handed
    /// out) must fail with, if any. `closed_ok`: the operation accepts a
    /// closed source (`close`, `deregister`).
    pub(crate) fn source_error(&self, src: Option<usize>, closed_ok: bool) -> Option<Want> {
        if self.shutdown {
            return Some(Want::Shutdown);
        }
        match src.map(|s| self.sources[s].life) {
            None | Some(Life::Gone) => Some(Want::NotRegistered),
            Some(Life::Closed) if !closed_ok => Some(Want::Closed),
            _ => None,
        }
    }

    /// The error `register` of pipe `pipe` must fail with, if any. A closed
    /// source gave its fd number up (the caller closes the fd after
    /// `close`, and the number may name a new file at once).
    pub(crate) fn register_error(&self, pipe: usize) -> Option<Want> {
        if self.shutdown {
            Some(Want::Shutdown)
        } else if self.pipes[pipe].holder.is_some() {
            Some(Want::AlreadyRegistered)
        } else {
            None
        }
    }

    pub(crate) fn registered(&mut self, pipe: usize, key: SourceKey, interest: Interest) -> usize {
        self.sources.push(Source {
            key,
            pipe,
            life: Life::Open(interest),
            halves: [Half::default(); 2],
        });
        let src = self.sources.len() - 1;
        self.pipes[pipe].holder = Some(src);
        src
    }

    pub(crate) fn interest(&self, src: usize) -> Option<Interest> {
        match self.sources[src].life {
            Life::Open(interest) => Some(interest),
            _ => None,
        }
    }

    /// Whether the fd behind `src` is ready for `dir` in the OS right now.
    pub(crate) fn os_ready(&self, src: usize, dir: Direction) -> bool {
        let pipe = &self.pipes[self.sources[src].pipe];
        match dir {
            Direction::Read => pipe.buffered > 0,
            Direction::Write => !pipe.full,
        }
    }

    /// Open sources and directions in their interest whose fd is ready: the
    /// reactor must deliver their readiness within bounded turns.
    pub(crate) fn must_deliver(&self) -> Vec<(usize, Direction)> {
        let mut out = Vec::new();
        for (src, source) in self.sources.iter().enumerate() {
            if let Life::Open(interest) = source.life {
                for dir in Direction::ALL {
                    if interest.contains(dir) && self.os_ready(src, dir) {
                        out.push((src, dir));
                    }
                }
            }
        }
        out
    }

    fn half(&mut self, src: usize, dir: Direction) -> &mut Half {
        &mut self.sources[src].halves[dir.index()]
    }

    /// `poll_ready` answered `Ready(tick)`.
    pub(crate) fn ready(&mut self, src: usize, dir: Direction, tick: Tick) -> Result<(), String> {
        let half = self.half(src, dir);
        if half.must_pend {
            return Err(format!(
                "ready with {tick:?} right after a clear_ready with the current tick, before any park"
            ));
        }
        if let Some(last) = half.last
            && tick < last
        {
            return Err(format!("tick went back: {tick:?} after {last:?}"));
        }
        if let Some(cleared) = half.cleared
            && tick <= cleared
        {
            return Err(format!(
                "{tick:?} reported after clear_ready({cleared:?}) forgot it"
            ));
        }
        if half.last != Some(tick) {
            half.older = half.last;
            half.last = Some(tick);
        }
        half.cached = Some(tick);
        half.parked_since_seen = false;
        Ok(())
    }

    /// `poll_ready` answered `Pending`. `may_delay`: the subject may hold a
    /// new readiness back for a turn (`Chaos`).
    pub(crate) fn pending(
        &mut self,
        src: usize,
        dir: Direction,
        may_delay: bool,
    ) -> Result<(), String> {
        let half = self.half(src, dir);
        if let Some(cached) = half.cached {
            // A readiness already reported stays reported; only one that is
            // newer may be held back, and only after a park collected it.
            if !(may_delay && half.parked_since_seen) {
                return Err(format!(
                    "Pending while readiness {cached:?} is cached (no clear_ready with it since)"
                ));
            }
            half.cached = None;
        }
        Ok(())
    }

    /// The tick a `clear_ready` of this choice hands back, if the model has
    /// one.
    pub(crate) fn tick_for(&self, src: usize, dir: Direction, last: bool) -> Option<Tick> {
        let half = &self.sources[src].halves[dir.index()];
        if last { half.last } else { half.older }
    }

    /// `clear_ready(tick)` returned `Ok` on an open source.
    pub(crate) fn cleared(&mut self, src: usize, dir: Direction, tick: Tick) {
        let half = self.half(src, dir);
        if half.last != Some(tick) && half.older != Some(tick) {
            return; // a foreign tick: no effect the model can tell
        }
        half.cleared = half.cleared.max(Some(tick));
        if half.cached == Some(tick) {
            half.cached = None;
            half.must_pend = !half.parked_since_seen;
        }
    }

    /// `reregister` succeeded: directions that left the interest forget
    /// their readiness, directions that joined start with none.
    pub(crate) fn reregistered(&mut self, src: usize, interest: Interest) {
        let Life::Open(old) = self.sources[src].life else {
            return;
        };
        for dir in Direction::ALL {
            if !(old.contains(dir) && interest.contains(dir)) {
                let half = self.half(src, dir);
                half.cached = None;
                half.must_pend = false;
            }
        }
        self.sources[src].life = Life::Open(interest);
    }

    pub(crate) fn closed(&mut self, src: usize) {
        if self.sources[src].life == Life::Gone {
            return;
        }
        self.sources[src].life = Life::Closed;
        let pipe = self.sources[src].pipe;
        if self.pipes[pipe].holder == Some(src) {
            self.pipes[pipe].holder = None;
        }
    }

    pub(crate) fn deregistered(&mut self, src: usize) {
        self.closed(src);
        self.sources[src].life = Life::Gone;
    }

    /// A park ran (whatever it returned): newer ticks may exist now.
    pub(crate) fn parked(&mut self) {
        for source in &mut self.sources {
            for half in &mut source.halves {
                half.parked_since_seen = true;
                half.must_pend = false;
            }
        }
        self.unpark = Unpark::No;
    }

    /// `stats()` as the contract counts it: live registrations (closed ones
    /// included) and timers not cancelled, fired or not.
    pub(crate) fn stats(&self) -> (usize, usize) {
        let registrations = self.sources.iter().filter(|s| s.life != Life::Gone).count();
        let timers = self
            .timers
            .iter()
            .filter(|(_, life)| *life != TimerLife::Cancelled)
            .count();
        (registrations, timers)
    }

    fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub(crate) fn timer_inserted(&mut self, key: TimerKey, deadline: Instant) -> usize {
        let seq = self.take_seq();
        self.timers
            .push((key, TimerLife::Pending { deadline, seq }));
        self.timers.len() - 1
    }

    /// A reset re-arms a pending or fired timer, ordered as if inserted now.
    pub(crate) fn timer_reset(&mut self, timer: usize, deadline: Instant) {
        let seq = self.take_seq();
        self.timers[timer].1 = TimerLife::Pending { deadline, seq };
    }

    /// The timers a clock at `now` has made due, earliest first (equal
    /// deadlines in insertion order): the order they must fire in.
    pub(crate) fn due(&self, now: Instant) -> Vec<usize> {
        let mut due: Vec<(Instant, u64, usize)> = self
            .timers
            .iter()
            .enumerate()
            .filter_map(|(i, (_, life))| match *life {
                TimerLife::Pending { deadline, seq } if deadline <= now => Some((deadline, seq, i)),
                _ => None,
            })
            .collect();
        due.sort();
        due.into_iter().map(|(_, _, i)| i).collect()
    }

    /// Every pending timer.
    pub(crate) fn pending_timers(&self) -> Vec<usize> {
        (0..self.timers.len())
            .filter(|&t| matches!(self.timers[t].1, TimerLife::Pending { .. }))
            .collect()
    }

    /// The earliest pending deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers
            .iter()
            .filter_map(|(_, life)| match *life {
                TimerLife::Pending { deadline, .. } => Some(deadline),
                _ => None,
            })
            .min()
    }

    /// Timers woke, in this order, during one call; `at` is the instant
    /// each fired at on the subject's clock. Checks they were pending, not
    /// early and in order, and marks them fired.
    pub(crate) fn fired(&mut self, fired: &[(usize, Instant)]) -> Result<(), String> {
        let mut prev: Option<(Instant, u64)> = None;
        for &(timer, at) in fired {
            let TimerLife::Pending { deadline, seq } = self.timers[timer].1 else {
                return Err(format!(
                    "timer #{timer} fired while {:?} (cancelled timers never fire; a timer fires once per arming)",
                    self.timers[timer].1
                ));
            };
            if at < deadline {
                return Err(format!(
                    "timer #{timer} fired {:?} early",
                    deadline.duration_since(at)
                ));
            }
            if let Some(p) = prev
                && p.cmp(&(deadline, seq)) == Ordering::Greater
            {
                return Err(format!(
                    "timer #{timer} fired out of order (deadline, then insertion order): {fired:?}"
                ));
            }
            prev = Some((deadline, seq));
            self.timers[timer].1 = TimerLife::Fired { deadline };
        }
        Ok(())
    }
}
