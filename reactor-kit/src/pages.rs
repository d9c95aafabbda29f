//! A growable array whose elements never move, read without a lock, and
//! whose memory is touched only as it is filled.

use append_only_vec::AppendOnlyVec;

/// Elements addressed by a `u32` index, appended one at a time and never
/// moved or removed until the whole array is dropped. Looking an element up
/// takes no lock, so each element can carry its own lock.
///
/// The storage is `append-only-vec`'s: chunks of 8, 16, 32, ... elements,
/// allocated uninitialized and written only as elements are appended. So a
/// table of 10 001 sources is resident for about 10 001 of them, not for
/// the 16 352 of its last chunk: an earlier array that built each chunk
/// full of default elements cost the `idle_conns` benchmark about 56 bytes
/// per connection of peak RSS (see BENCHMARKS.md).
pub(super) struct Pages<T> {
    elements: AppendOnlyVec<T>,
}

impl<T> std::fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("len", &self.elements.len())
            .finish_non_exhaustive()
    }
}

impl<T> Pages<T> {
    pub(super) fn new() -> Pages<T> {
        Pages {
            elements: AppendOnlyVec::new(),
        }
    }

    /// The element at `index`, if it was appended.
    #[inline]
    pub(super) fn get(&self, index: u32) -> Option<&T> {
        let index = usize::try_from(index).ok()?;
        (index < self.elements.len()).then(|| &self.elements[index])
    }

    /// Appends `value`; returns its index, or gives `value` back if the
    /// array already holds `u32::MAX` elements (an index no longer fits).
    ///
    /// Callers that need indices in order append from one thread at a time
    /// (the table's allocator lock): appends that race get indices in the
    /// order they reserved them.
    pub(super) fn push(&self, value: T) -> Result<u32, T> {
        if self.elements.len() >= u32::MAX as usize {
            return Err(value);
        }
        let index = self.elements.push(value);
        Ok(u32::try_from(index).expect("checked against u32::MAX before the push"))
    }

    /// Every element appended so far, in index order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.elements.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_found_by_index_once_appended() {
        let pages: Pages<u64> = Pages::new();
        assert!(pages.get(0).is_none());
        for i in 0..1000 {
            assert_eq!(pages.push(i * 3), Ok(u32::try_from(i).unwrap()));
        }
        assert_eq!(pages.iter().count(), 1000);
        assert_eq!(pages.get(999), Some(&2997));
        assert!(pages.get(1000).is_none());
        assert!(pages.get(u32::MAX).is_none());
    }

    #[test]
    fn elements_stay_put() {
        let pages: Pages<u64> = Pages::new();
        pages.push(7).unwrap();
        let first: *const u64 = pages.get(0).unwrap();
        for i in 0..5000 {
            pages.push(i).unwrap();
        }
        assert!(std::ptr::eq(first, pages.get(0).unwrap()));
        assert_eq!(*pages.get(0).unwrap(), 7);
    }

    #[test]
    fn elements_are_dropped_with_the_array() {
        let counted = std::sync::Arc::new(());
        let pages = Pages::new();
        for _ in 0..100 {
            pages.push(std::sync::Arc::clone(&counted)).unwrap();
        }
        assert_eq!(std::sync::Arc::strong_count(&counted), 101);
        drop(pages);
        assert_eq!(std::sync::Arc::strong_count(&counted), 1);
    }
}
