//! A task's last wait report and its count of pending polls, packed into
//! one word of its record.
//!
//! Most tasks that wait report an fd, a deadline, a promise or a task, and
//! are polled a few times. Kept in the cold record, that report cost every
//! such task a second allocation of 80 bytes at its first pending poll
//! (every connection task, every sleeping task). Packed, it shares the
//! word that points to the cold record once there is one (see
//! `PackedOrBox`), so it costs the record nothing. A report that does not
//! fit (a label, a deadline more than 104 days after [`epoch`], an id past
//! 2⁵³) or a 128th pending poll moves both into the cold record, for good.
//!
//! The 63 bits, from the low ones: the count of pending polls (7 bits),
//! the kind of report (3 bits), its payload (53 bits).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use baton_protocol::reactor::Direction;
use baton_protocol::task::TaskId;
use baton_protocol::wait::WaitFor;

const COUNT_BITS: u32 = 7;
const KIND_BITS: u32 = 3;
const PAYLOAD_SHIFT: u32 = COUNT_BITS + KIND_BITS;
/// The largest count the word holds.
const MAX_COUNT: u64 = (1 << COUNT_BITS) - 1;
/// Payloads must be below this.
const PAYLOAD_LIMIT: u64 = 1 << (63 - PAYLOAD_SHIFT);

const NONE: u64 = 0;
const READ: u64 = 1;
const WRITE: u64 = 2;
const DEADLINE: u64 = 3;
const PROMISE: u64 = 4;
const TASK: u64 = 5;

/// The instant deadlines (here) and poll-time stamps (in the cold record)
/// count from: the first time a task of this process needed one.
pub(super) fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// The word for `wait` after `polls` pending polls, if both fit.
pub(super) fn pack(wait: Option<WaitFor>, polls: u64) -> Option<u64> {
    if polls > MAX_COUNT {
        return None;
    }
    let (kind, payload) = match wait {
        None => (NONE, 0),
        Some(WaitFor::Io { fd, dir }) => {
            let kind = match dir {
                Direction::Read => READ,
                Direction::Write => WRITE,
            };
            // The fd's 32 bits as they are; `unpack` reverses the cast.
            (kind, u64::from(fd.cast_unsigned()))
        }
        Some(WaitFor::Deadline(at)) => {
            let since = at.checked_duration_since(epoch())?;
            (DEADLINE, u64::try_from(since.as_nanos()).ok()?)
        }
        Some(WaitFor::Promise(id)) => (PROMISE, id),
        Some(WaitFor::Task(id)) => (TASK, id.get()),
        // Labels, `Forever`, and whatever the protocol adds later.
        Some(_) => return None,
    };
    (payload < PAYLOAD_LIMIT).then_some(payload << PAYLOAD_SHIFT | kind << COUNT_BITS | polls)
}

/// The report and the count of a word made by [`pack`] (0 is no report
/// and no poll).
pub(super) fn unpack(word: u64) -> (Option<WaitFor>, u64) {
    let polls = word & MAX_COUNT;
    let payload = word >> PAYLOAD_SHIFT;
    let fd = || u32::try_from(payload).map_or(-1, u32::cast_signed);
    let wait = match (word >> COUNT_BITS) & ((1 << KIND_BITS) - 1) {
        READ => Some(WaitFor::Io {
            fd: fd(),
            dir: Direction::Read,
        }),
        WRITE => Some(WaitFor::Io {
            fd: fd(),
            dir: Direction::Write,
        }),
        DEADLINE => Some(WaitFor::Deadline(epoch() + Duration::from_nanos(payload))),
        PROMISE => Some(WaitFor::Promise(payload)),
        TASK => TaskId::new(payload).map(WaitFor::Task),
        _ => None,
    };
    (wait, polls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(wait: Option<WaitFor>, polls: u64) {
        let word = pack(wait, polls).expect("fits");
        assert_eq!(unpack(word), (wait, polls));
    }

    #[test]
    fn every_kind_that_fits_comes_back_exact() {
        round_trip(None, 0);
        round_trip(None, MAX_COUNT);
        for fd in [0, 7, i32::MAX, -1] {
            for dir in Direction::ALL {
                round_trip(Some(WaitFor::Io { fd, dir }), 3);
            }
        }
        let at = epoch() + Duration::new(86_400 * 100, 123_456_789);
        round_trip(Some(WaitFor::Deadline(at)), 1);
        round_trip(Some(WaitFor::Deadline(epoch())), 1);
        round_trip(Some(WaitFor::Promise(PAYLOAD_LIMIT - 1)), 2);
        let task = TaskId::new(42).expect("not zero");
        round_trip(Some(WaitFor::Task(task)), 100);
        assert!(
            pack(Some(WaitFor::Promise(PAYLOAD_LIMIT - 1)), MAX_COUNT).is_some_and(|w| w < 1 << 63)
        );
    }

    #[test]
    fn what_does_not_fit_is_refused() {
        assert_eq!(pack(None, MAX_COUNT + 1), None);
        assert_eq!(pack(Some(WaitFor::Label("a lock")), 1), None);
        assert_eq!(pack(Some(WaitFor::Forever("sleep(MAX)")), 1), None);
        assert_eq!(pack(Some(WaitFor::Promise(PAYLOAD_LIMIT)), 1), None);
        let late = epoch() + Duration::from_nanos(PAYLOAD_LIMIT);
        assert_eq!(pack(Some(WaitFor::Deadline(late)), 1), None);
        // Before the epoch: a deadline that had passed before any task of
        // the process waited.
        if let Some(early) = epoch().checked_sub(Duration::from_secs(1)) {
            assert_eq!(pack(Some(WaitFor::Deadline(early)), 1), None);
        }
    }
}
