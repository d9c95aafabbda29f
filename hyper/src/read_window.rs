//! [`ReadWindow`]: how much of hyper's read buffer `BatonIo` reads into.
//!
//! futures-io reads into initialized bytes, and hyper hands out a fresh
//! uninitialized view of its buffer (8 KiB or more) on every read, so each
//! read zeroes what it asks for first. Asking for about as much as recent
//! reads brought keeps that zeroing in proportion to the traffic. A window
//! of [`ReadWindow::MIN`] bytes is not zeroed at all: it reads through a
//! scratch buffer of the thread's, initialized once (see `io.rs`).

/// How many bytes [`BatonIo`](crate::BatonIo)'s next read asks for: like
/// hyper's own read strategy, it doubles after a read that filled it and
/// halves after two reads in a row that did not fill half of it, between
/// [`MIN`](Self::MIN) and [`MAX`](Self::MAX) (and never more than the room
/// hyper offers).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadWindow {
    len: usize,
    /// The last read filled less than half the window: one more such
    /// read halves it.
    shrink_next: bool,
}

impl ReadWindow {
    /// The smallest window: zeroing 1 KiB costs far less than the extra
    /// read syscall a too-small window would cause.
    const MIN: usize = 1024;
    /// The largest window: hyper's default maximum read buffer is about
    /// 400 KiB; a window never needs more than one such buffer.
    const MAX: usize = 512 * 1024;

    pub(crate) fn new() -> Self {
        ReadWindow {
            len: Self::MIN,
            shrink_next: false,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Records a read of `n` bytes into `asked` bytes (`asked` is at most
    /// the window, less when hyper had less room).
    pub(crate) fn record(&mut self, n: usize, asked: usize) {
        if n == asked && asked == self.len {
            self.len = (self.len * 2).min(Self::MAX);
            self.shrink_next = false;
        } else if n < self.len / 2 {
            if self.shrink_next {
                self.len = (self.len / 2).max(Self::MIN);
            }
            self.shrink_next = !self.shrink_next;
        } else {
            self.shrink_next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ReadWindow;

    #[test]
    fn a_window_grows_when_filled_and_shrinks_after_two_small_reads() {
        let mut window = ReadWindow::new();
        assert_eq!(window.len(), ReadWindow::MIN);
        window.record(ReadWindow::MIN, ReadWindow::MIN);
        assert_eq!(window.len(), 2 * ReadWindow::MIN);
        window.record(2 * ReadWindow::MIN, 2 * ReadWindow::MIN);
        assert_eq!(window.len(), 4 * ReadWindow::MIN);
        // Filling less room than the window (hyper had less) is no reason
        // to grow.
        window.record(100, 100);
        assert_eq!(window.len(), 4 * ReadWindow::MIN);
        window.record(100, 4 * ReadWindow::MIN);
        assert_eq!(
            window.len(),
            2 * ReadWindow::MIN,
            "two small reads halve it"
        );
        window.record(100, 2 * ReadWindow::MIN);
        assert_eq!(window.len(), 2 * ReadWindow::MIN, "one small read does not");
        window.record(ReadWindow::MIN, 2 * ReadWindow::MIN);
        window.record(100, 2 * ReadWindow::MIN);
        assert_eq!(
            window.len(),
            2 * ReadWindow::MIN,
            "a half-full read resets the count"
        );
        for _ in 0..8 {
            window.record(0, window.len());
        }
        assert_eq!(window.len(), ReadWindow::MIN, "never below the minimum");
        for _ in 0..20 {
            let len = window.len();
            window.record(len, len);
        }
        assert_eq!(window.len(), ReadWindow::MAX, "never above the maximum");
    }
}
