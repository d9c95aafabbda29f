//! Spawn locations as 32-bit numbers: a task record keeps its location in
//! 4 bytes instead of an 8-byte pointer.
//!
//! Every spawn location is a `&'static Location` that the compiler made for
//! one `#[track_caller]` call site, so a process has as many as its code has
//! spawn sites, a few hundred, and numbering each the first time it spawns
//! costs a bounded table. The numbers are indices into one process-wide
//! append-only array, read without a lock. A spawn finds its number in a
//! small per-thread cache first (a spawn loop hits it every time); only a
//! miss takes the lock of the map from locations to numbers.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::Location;
use std::ptr;
use std::sync::{Mutex, PoisonError};

use append_only_vec::AppendOnlyVec;

type Site = &'static Location<'static>;

/// Every numbered location, at its number.
static SITES: AppendOnlyVec<Site> = AppendOnlyVec::new();

/// Location address → number, for the misses of the caches; its lock is
/// also what numbers a location once.
static NUMBERS: Mutex<BTreeMap<usize, u32>> = Mutex::new(BTreeMap::new());

/// Cache entries per thread, indexed by address bits: a thread that
/// spawns from a handful of sites in turn keeps them all.
const WAYS: usize = 8;

thread_local! {
    /// `(address, number)` of recently numbered locations; address 0 is
    /// empty. Const-initialized and without a destructor, so reading it
    /// costs no lazy-initialization check.
    static RECENT: [Cell<(usize, u32)>; WAYS] = const { [const { Cell::new((0, 0)) }; WAYS] };
}

/// The number of `site`, given it the first time it is seen.
///
/// # Panics
///
/// Past `2^32` distinct locations, which would take `2^32` spawn call
/// sites compiled into the process (96 GiB of location records alone).
#[inline]
pub(crate) fn number(site: Site) -> u32 {
    let address = ptr::from_ref(site).addr();
    // Locations are 8-byte aligned: the bits above those pick the way.
    let way = (address >> 3) % WAYS;
    RECENT.with(|recent| {
        let (cached, number) = recent[way].get();
        if cached == address {
            return number;
        }
        let number = number_slow(site, address);
        recent[way].set((address, number));
        number
    })
}

#[cold]
fn number_slow(site: Site, address: usize) -> u32 {
    let mut numbers = NUMBERS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&number) = numbers.get(&address) {
        return number;
    }
    // Pushed before the number leaves this function: whoever reads the
    // number, through the record it is stored in, finds the location.
    let number = u32::try_from(SITES.push(site)).expect("fewer than 2^32 spawn call sites");
    numbers.insert(address, number);
    number
}

/// The location that [`number`] gave `number` to.
pub(crate) fn location(number: u32) -> Site {
    SITES[number as usize]
}

#[cfg(test)]
mod tests {
    use std::panic::Location;
    use std::thread;

    use super::{location, number};

    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    #[test]
    fn numbers_round_trip_and_are_shared_by_threads() {
        let sites = [here(), here(), here()];
        let numbers = sites.map(number);
        for (site, n) in sites.iter().zip(numbers) {
            assert_eq!(location(n), *site);
            assert_eq!(number(site), n, "a site keeps its number");
        }
        assert!(
            numbers[0] != numbers[1] && numbers[1] != numbers[2],
            "distinct sites, distinct numbers"
        );
        // Another thread misses its own cache and finds the same numbers.
        let again = thread::spawn(move || sites.map(number)).join().unwrap();
        assert_eq!(again, numbers);
    }

    #[test]
    fn more_sites_than_cache_ways_keep_their_numbers() {
        // Twelve call sites (a column each) for eight cache entries.
        #[rustfmt::skip]
        let sites = [
            here(), here(), here(), here(), here(), here(),
            here(), here(), here(), here(), here(), here(),
        ];
        let first = sites.map(number);
        assert_eq!(sites.map(number), first);
        for (site, n) in sites.iter().zip(first) {
            assert_eq!(location(n), *site);
        }
    }
}
