//! The keyspace: string values, each with an optional expiry, and the index
//! of expiries the expirer task sleeps on.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use baton_protocol::Promise;

/// What a write does to the key's expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ttl {
    /// Remove it (a plain `SET`, `MSET`).
    Clear,
    /// Keep it (`SET … KEEPTTL`, `INCR`).
    Keep,
    /// Expire at this instant of the reactor's clock.
    At(Instant),
}

/// One value and its expiry.
#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    /// The deadline and its key in [`Db::expiries`].
    expiry: Option<(Instant, u64)>,
}

/// The expirer's alarm: the deadline it sleeps until, and the Promise that
/// wakes it early when an earlier deadline appears.
#[derive(Debug)]
struct Armed {
    deadline: Option<Instant>,
    wake: Promise<()>,
}

/// What the expirer sleeps on: the nearest deadline, if any, and a Promise
/// completed as soon as an earlier deadline is set.
pub(crate) type Alarm = (Option<Instant>, Promise<()>);

/// The keyspace.
///
/// A key whose deadline has come is gone: every read checks (lazy expiry,
/// as Redis does on access), and the expirer task removes such keys when
/// their deadline fires on the runtime's timers (active expiry), so they do
/// not hold memory until someone reads them.
///
/// # Invariant
///
/// `expiries` holds exactly one entry `(deadline, seq) → key` for each key
/// of `map` whose `expiry` is `Some((deadline, seq))`, and nothing else.
#[derive(Debug, Default)]
pub(crate) struct Db {
    map: HashMap<Vec<u8>, Entry>,
    expiries: BTreeMap<(Instant, u64), Vec<u8>>,
    /// Makes equal deadlines distinct in `expiries`.
    next_seq: u64,
    alarm: Option<Armed>,
}

/// Whether a deadline has come at `now`.
fn due(deadline: Instant, now: Instant) -> bool {
    deadline <= now
}

impl Db {
    /// Removes `key` if its deadline has come.
    fn expire_if_due(&mut self, key: &[u8], now: Instant) {
        let expired = self
            .map
            .get(key)
            .and_then(|e| e.expiry)
            .is_some_and(|(at, _)| due(at, now));
        if expired {
            self.remove_entry(key);
        }
    }

    fn remove_entry(&mut self, key: &[u8]) -> bool {
        match self.map.remove(key) {
            Some(entry) => {
                if let Some(at) = entry.expiry {
                    self.expiries.remove(&at);
                }
                true
            }
            None => false,
        }
    }

    /// The value of `key`, if it is live.
    pub(crate) fn get(&mut self, key: &[u8], now: Instant) -> Option<&[u8]> {
        self.expire_if_due(key, now);
        self.map.get(key).map(|e| e.value.as_slice())
    }

    /// Whether `key` is live.
    pub(crate) fn contains(&mut self, key: &[u8], now: Instant) -> bool {
        self.get(key, now).is_some()
    }

    /// Sets `key` to `value`, its expiry as `ttl` says.
    pub(crate) fn set(&mut self, key: &[u8], value: Vec<u8>, ttl: Ttl, now: Instant) {
        self.expire_if_due(key, now);
        match self.map.get_mut(key) {
            Some(entry) => entry.value = value,
            None => {
                self.map.insert(
                    key.to_vec(),
                    Entry {
                        value,
                        expiry: None,
                    },
                );
            }
        }
        match ttl {
            Ttl::Keep => {}
            Ttl::Clear => self.set_expiry(key, None),
            Ttl::At(at) => self.set_expiry(key, Some(at)),
        }
    }

    /// Removes `key`; whether it was live.
    pub(crate) fn remove(&mut self, key: &[u8], now: Instant) -> bool {
        self.expire_if_due(key, now);
        self.remove_entry(key)
    }

    /// The expiry of `key`: `None` if it is not live, `Some(None)` if it
    /// never expires.
    pub(crate) fn expiry(&mut self, key: &[u8], now: Instant) -> Option<Option<Instant>> {
        self.expire_if_due(key, now);
        self.map.get(key).map(|e| e.expiry.map(|(at, _)| at))
    }

    /// Sets or removes the expiry of `key`, if it exists.
    pub(crate) fn set_expiry(&mut self, key: &[u8], at: Option<Instant>) {
        let Some(entry) = self.map.get_mut(key) else {
            return;
        };
        if let Some(old) = entry.expiry.take() {
            self.expiries.remove(&old);
        }
        if let Some(at) = at {
            let index = (at, self.next_seq);
            self.next_seq += 1;
            entry.expiry = Some(index);
            self.expiries.insert(index, key.to_vec());
            self.ring_if_earlier(at);
        }
    }

    /// Wakes the expirer if `at` comes before the deadline it sleeps until.
    fn ring_if_earlier(&mut self, at: Instant) {
        let earlier = self
            .alarm
            .as_ref()
            .is_some_and(|alarm| alarm.deadline.is_none_or(|armed| at < armed));
        if earlier && let Some(alarm) = self.alarm.take() {
            // Only the expirer awaits it; completing twice cannot happen
            // since the alarm was taken.
            let _ = alarm.wake.set_result(());
        }
    }

    /// Keys held: live ones, and expired ones not yet purged.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Removes every key.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.expiries.clear();
    }

    /// Removes at most `max` keys whose deadline has come; returns how many.
    pub(crate) fn purge(&mut self, now: Instant, max: usize) -> usize {
        let mut purged = 0;
        while purged < max {
            let Some(entry) = self.expiries.first_entry() else {
                break;
            };
            if !due(entry.key().0, now) {
                break;
            }
            let key = entry.remove();
            self.map.remove(&key);
            purged += 1;
        }
        purged
    }

    /// Arms the expirer's alarm for the nearest deadline.
    ///
    /// # Return value
    ///
    /// The nearest deadline, if any, and a Promise completed as soon as an
    /// earlier deadline is set (the expirer then re-arms).
    pub(crate) fn arm(&mut self) -> Alarm {
        let deadline = self.expiries.first_key_value().map(|(&(at, _), _)| at);
        let wake = Promise::new();
        self.alarm = Some(Armed {
            deadline,
            wake: wake.clone(),
        });
        (deadline, wake)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{Db, Ttl};

    #[test]
    fn expiry_is_lazy_and_purged() {
        let mut db = Db::default();
        let t0 = Instant::now();
        let soon = t0 + Duration::from_secs(1);
        db.set(b"a", b"1".to_vec(), Ttl::At(soon), t0);
        db.set(b"b", b"2".to_vec(), Ttl::Clear, t0);
        assert_eq!(db.get(b"a", t0), Some(&b"1"[..]));
        assert_eq!(db.expiry(b"a", t0), Some(Some(soon)));
        assert_eq!(db.expiry(b"b", t0), Some(None));
        // At the deadline the key is gone for readers...
        assert_eq!(db.get(b"a", soon), None);
        // ...and the purge removes the others.
        db.set(b"c", b"3".to_vec(), Ttl::At(soon), t0);
        assert_eq!(db.purge(soon, 10), 1);
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn set_clears_or_keeps_the_expiry() {
        let mut db = Db::default();
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(5);
        db.set(b"k", b"1".to_vec(), Ttl::At(later), t0);
        db.set(b"k", b"2".to_vec(), Ttl::Keep, t0);
        assert_eq!(db.expiry(b"k", t0), Some(Some(later)));
        db.set(b"k", b"3".to_vec(), Ttl::Clear, t0);
        assert_eq!(db.expiry(b"k", t0), Some(None));
        assert_eq!(db.purge(later, 10), 0);
        assert_eq!(db.get(b"k", later), Some(&b"3"[..]));
    }

    #[test]
    fn an_earlier_deadline_rings_the_alarm() {
        let mut db = Db::default();
        let t0 = Instant::now();
        db.set(
            b"k",
            b"v".to_vec(),
            Ttl::At(t0 + Duration::from_secs(10)),
            t0,
        );
        let (deadline, wake) = db.arm();
        assert_eq!(deadline, Some(t0 + Duration::from_secs(10)));
        db.set_expiry(b"k", Some(t0 + Duration::from_secs(20)));
        assert!(!wake.done(), "a later deadline lets the expirer sleep");
        db.set_expiry(b"k", Some(t0 + Duration::from_secs(1)));
        assert!(wake.done(), "an earlier one wakes it");
    }
}
