//! The operations a sequence is made of, and the proptest strategy that
//! generates them.
//!
//! Operations name sources, timers and socket pairs by small indices, not
//! by keys: `src` picks one of the keys handed out so far (deregistered and
//! closed ones included, so stale keys are exercised), and a sequence that
//! has none yet uses a key no reactor ever handed out. Indices keep every
//! sequence meaningful when the shrinker removes operations from it.

use baton_protocol::{Direction, Interest};
use proptest::prelude::*;

/// How many socket pairs each sequence has to register.
pub(crate) const PIPES: usize = 2;

/// Waiter identities per (source, direction): several waiters on one
/// direction exercise Decision 1; the same identity again exercises
/// `will_wake` replacement.
pub(crate) const WAITERS: usize = 2;

/// The most bytes a sequence keeps buffered towards one registered end, so a
/// peer's write never blocks.
pub(crate) const MAX_BUFFERED: usize = 1024;

/// An interest, spelt short for the printed sequences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Int {
    R,
    W,
    RW,
}

impl Int {
    pub(crate) fn interest(self) -> Interest {
        match self {
            Int::R => Interest::READ,
            Int::W => Interest::WRITE,
            Int::RW => Interest::BOTH,
        }
    }
}

/// Which tick a `clear_ready` hands back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TickChoice {
    /// The last tick `poll_ready` returned for the direction.
    Last,
    /// The one before it: a stale tick, as a slow caller holds.
    Older,
    /// A tick the reactor never handed out.
    Foreign,
}

/// A timer deadline, relative to the reactor's clock when the op runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delay {
    /// A millisecond in the past.
    Past,
    /// Now.
    Zero,
    /// This many milliseconds ahead.
    Ms(u8),
    /// An hour ahead: fires only under virtual time.
    Hour,
    /// The deadline timer `.0` was last given (now if there is none):
    /// equal deadlines, which must fire in insertion order, on a real clock
    /// too.
    Like(usize),
}

/// One step of a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// `register` the registered end of socket pair `pipe`.
    Register {
        pipe: usize,
        int: Int,
    },
    /// `register` a negative fd, or a regular file.
    RegisterBad {
        regular_file: bool,
    },
    Reregister {
        src: usize,
        int: Int,
    },
    Deregister {
        src: usize,
    },
    Close {
        src: usize,
    },
    PollReady {
        src: usize,
        dir: Direction,
        waiter: usize,
    },
    /// `clear_ready`, or `clear_drained` when `drained` and the model knows
    /// the direction is drained (the only time a caller may say so).
    Clear {
        src: usize,
        dir: Direction,
        tick: TickChoice,
        drained: bool,
    },
    /// The peer writes `len` bytes: the registered end becomes readable.
    Write {
        pipe: usize,
        len: usize,
    },
    /// The registered end reads up to `len` bytes.
    Read {
        pipe: usize,
        len: usize,
    },
    /// The registered end writes until `WouldBlock`: no longer writable.
    Fill {
        pipe: usize,
    },
    /// The peer reads everything: the registered end is writable again.
    DrainPeer {
        pipe: usize,
    },
    InsertTimer {
        delay: Delay,
    },
    ResetTimer {
        timer: usize,
        delay: Delay,
    },
    CancelTimer {
        timer: usize,
    },
    PollTimer {
        timer: usize,
    },
    /// `park` with a timeout of this many milliseconds.
    Park {
        ms: u8,
        idle: bool,
    },
    Unpark,
    /// Another thread unparks while this one parks with no useful timeout.
    ParkUnparkedFromThread,
    /// `VirtualTime::advance` (a no-op on real-time subjects).
    Advance {
        delay: Delay,
    },
    /// Park until every readiness and due timer the model expects has been
    /// delivered, within a bounded number of turns.
    Settle,
    Shutdown,
}

fn dir() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::Read), Just(Direction::Write)]
}

fn int() -> impl Strategy<Value = Int> {
    prop_oneof![Just(Int::R), Just(Int::W), Just(Int::RW)]
}

fn delay(max_ms: u8) -> impl Strategy<Value = Delay> {
    prop_oneof![
        1 => Just(Delay::Past),
        2 => Just(Delay::Zero),
        6 => (1..=max_ms).prop_map(Delay::Ms),
        1 => Just(Delay::Hour),
        2 => (0..4usize).prop_map(Delay::Like),
    ]
}

fn tick() -> impl Strategy<Value = TickChoice> {
    prop_oneof![
        6 => Just(TickChoice::Last),
        3 => Just(TickChoice::Older),
        1 => Just(TickChoice::Foreign),
    ]
}

/// One operation. `max_ms` bounds timer delays: a few milliseconds on a
/// real clock keeps a sequence short, any value is free under virtual time.
pub(crate) fn op(max_ms: u8) -> impl Strategy<Value = Op> {
    let pipe = 0..PIPES;
    let src = 0..4usize;
    let timer = 0..4usize;
    prop_oneof![
        6 => (pipe.clone(), int()).prop_map(|(pipe, int)| Op::Register { pipe, int }),
        1 => any::<bool>().prop_map(|regular_file| Op::RegisterBad { regular_file }),
        3 => (src.clone(), int()).prop_map(|(src, int)| Op::Reregister { src, int }),
        2 => src.clone().prop_map(|src| Op::Deregister { src }),
        2 => src.clone().prop_map(|src| Op::Close { src }),
        12 => (src.clone(), dir(), 0..WAITERS)
            .prop_map(|(src, dir, waiter)| Op::PollReady { src, dir, waiter }),
        10 => (src, dir(), tick(), any::<bool>())
            .prop_map(|(src, dir, tick, drained)| Op::Clear { src, dir, tick, drained }),
        6 => (pipe.clone(), 1..=64usize).prop_map(|(pipe, len)| Op::Write { pipe, len }),
        6 => (pipe.clone(), 1..=96usize).prop_map(|(pipe, len)| Op::Read { pipe, len }),
        2 => pipe.clone().prop_map(|pipe| Op::Fill { pipe }),
        3 => pipe.prop_map(|pipe| Op::DrainPeer { pipe }),
        4 => delay(max_ms).prop_map(|delay| Op::InsertTimer { delay }),
        2 => (timer.clone(), delay(max_ms)).prop_map(|(timer, delay)| Op::ResetTimer { timer, delay }),
        2 => timer.clone().prop_map(|timer| Op::CancelTimer { timer }),
        2 => timer.prop_map(|timer| Op::PollTimer { timer }),
        8 => (prop_oneof![3 => Just(0u8), 1 => 1..=2u8], any::<bool>())
            .prop_map(|(ms, idle)| Op::Park { ms, idle }),
        2 => Just(Op::Unpark),
        1 => Just(Op::ParkUnparkedFromThread),
        2 => delay(max_ms).prop_map(|delay| Op::Advance { delay }),
        5 => Just(Op::Settle),
        1 => Just(Op::Shutdown),
    ]
}

/// A whole case: the seed of a `Chaos` subject (ignored by the others) and
/// the operations.
pub(crate) fn case(max_ms: u8, max_len: usize) -> impl Strategy<Value = (u64, Vec<Op>)> {
    (
        any::<u64>(),
        proptest::collection::vec(op(max_ms), 1..=max_len),
    )
}
