//! Which signals baton listens to, and what to give back when it stops.
//!
//! signal-hook-registry installs its handler on a signal's first action and
//! never uninstalls it: with no action left it runs the handler it
//! replaced, and does nothing for `SIG_DFL`, so a `SIGINT` listened to once
//! would be ignored forever after. This table counts baton's listeners per
//! signal; when the last one is dropped it re-installs the disposition that
//! was there before the first, and when a listener comes back it puts the
//! registry's handler back (the registry still thinks it is installed).
//!
//! # Invariant
//!
//! The table's lock is held across registering (or unregistering) the
//! actions *and* the `sigaction` calls, so a signal's count and its
//! installed handler change together.

use std::collections::HashMap;
use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::sys::Disposition;

/// One signal's bookkeeping.
struct Entry {
    /// Live listeners.
    listeners: usize,
    /// The disposition before the first of the current listeners.
    before: Option<Disposition>,
    /// The registry's handler, once seen installed: the registry never
    /// installs it twice, so baton does when it restored `before`.
    registry: Option<Disposition>,
}

static TABLE: Mutex<Option<HashMap<libc::c_int, Entry>>> = Mutex::new(None);

/// The table, locked. A panic while it was held left counts that are still
/// consistent (every update is one statement), so poison is ignored.
pub(super) struct Table(MutexGuard<'static, Option<HashMap<libc::c_int, Entry>>>);

impl Table {
    pub(super) fn lock() -> Table {
        Table(TABLE.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn entry(&mut self, signal: libc::c_int) -> &mut Entry {
        self.0
            .get_or_insert_with(HashMap::new)
            .entry(signal)
            .or_insert(Entry {
                listeners: 0,
                before: None,
                registry: None,
            })
    }

    /// Counts a new listener of `signal`, before its action is registered;
    /// the first one records the disposition to give back.
    ///
    /// # Errors
    ///
    /// `sigaction`'s, for a number that is not a signal.
    pub(super) fn add(&mut self, signal: libc::c_int) -> io::Result<()> {
        let entry = self.entry(signal);
        if entry.listeners == 0 {
            entry.before = Some(Disposition::current(signal)?);
        }
        entry.listeners += 1;
        Ok(())
    }

    /// After the actions of a new listener are registered: makes sure the
    /// registry's handler is the one installed for `signal`.
    ///
    /// # Errors
    ///
    /// `sigaction`'s.
    pub(super) fn registered(&mut self, signal: libc::c_int) -> io::Result<()> {
        let entry = self.entry(signal);
        match entry.registry {
            // Restored earlier: the registry skipped `sigaction` this time.
            Some(handler) if entry.listeners == 1 => handler.install(signal),
            Some(_) => Ok(()),
            // First time: whatever the registry installed is its handler.
            None => {
                entry.registry = Some(Disposition::current(signal)?);
                Ok(())
            }
        }
    }

    /// Counts a listener of `signal` gone, after its action was
    /// unregistered; the last one gives back the disposition from before
    /// the first, unless something else replaced the registry's handler
    /// since (then that is left alone).
    pub(super) fn remove(&mut self, signal: libc::c_int) {
        let entry = self.entry(signal);
        entry.listeners = entry.listeners.saturating_sub(1);
        if entry.listeners > 0 {
            return;
        }
        let Some(before) = entry.before.take() else {
            return;
        };
        let ours = entry.registry.map(|d| d.handler());
        let now = Disposition::current(signal).ok().map(|d| d.handler());
        if now.is_some() && now == ours {
            // Only fails for a number `add` accepted: nothing to do then.
            let _ = before.install(signal);
        }
    }
}
