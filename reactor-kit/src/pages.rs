//! A growable array whose elements never move, read without a lock.

use std::sync::OnceLock;

/// Slots in the first page; page `p` holds `FIRST << p`.
const FIRST: u64 = 32;

/// Enough pages for every `u32` index: `FIRST * (2^28 - 1) > u32::MAX`.
const PAGES: usize = 28;

/// Elements addressed by a `u32` index, allocated a page at a time (32, 64,
/// 128, ... elements), never moved or freed until the whole array is
/// dropped. Looking an element up is two array reads and an atomic load,
/// with no lock, so each element can carry its own lock.
#[derive(Debug)]
pub(super) struct Pages<T> {
    pages: [OnceLock<Box<[T]>>; PAGES],
}

/// The page and the offset in it of `index`.
fn locate(index: u32) -> (usize, usize) {
    let n = u64::from(index) + FIRST;
    let page = (63 - n.leading_zeros()) as usize - FIRST.trailing_zeros() as usize;
    let offset = n - (FIRST << page);
    // `offset < FIRST << page <= 2^32`, which fits `usize` on the 64-bit
    // targets the reactors require.
    (page, offset as usize)
}

impl<T: Default> Pages<T> {
    pub(super) fn new() -> Pages<T> {
        Pages {
            pages: [const { OnceLock::new() }; PAGES],
        }
    }

    /// The element at `index`, if its page was allocated.
    pub(super) fn get(&self, index: u32) -> Option<&T> {
        let (page, offset) = locate(index);
        self.pages[page].get().map(|page| &page[offset])
    }

    /// The element at `index`, allocating its page (of default elements)
    /// first if needed.
    pub(super) fn get_or_alloc(&self, index: u32) -> &T {
        let (page, offset) = locate(index);
        let page = self.pages[page].get_or_init(|| {
            let len = FIRST << page;
            (0..len).map(|_| T::default()).collect()
        });
        &page[offset]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_index_once() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(31), (0, 31));
        assert_eq!(locate(32), (1, 0));
        assert_eq!(locate(95), (1, 63));
        assert_eq!(locate(96), (2, 0));
        let (page, offset) = locate(u32::MAX);
        assert!(page < PAGES);
        assert!((offset as u64) < FIRST << page);
    }

    #[test]
    fn elements_stay_put() {
        let pages: Pages<u64> = Pages::new();
        assert!(pages.get(40).is_none());
        let first: *const u64 = pages.get_or_alloc(3);
        pages.get_or_alloc(1000);
        assert!(std::ptr::eq(first, pages.get(3).unwrap()));
        assert_eq!(*pages.get(1000).unwrap(), 0);
    }
}
