//! Fixed-bucket histograms of durations: one power of two of nanoseconds
//! per bucket, counted with plain atomics by the one thread that records,
//! read by any.
//!
//! Power-of-two buckets cost one `leading_zeros` and two stores per sample
//! and never allocate, so a worker records every poll without a lock; the
//! price is resolution (a sample is known to within a factor of two), which
//! is what latency questions need ("are polls microseconds or
//! milliseconds?"), and what exporters re-bucket anyway.

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Buckets per histogram: bucket 0 holds zero, bucket `k` (1 ≤ k < 47)
/// holds `[2^(k-1), 2^k)` ns, and the last one everything from 2^46 ns
/// (about 19.5 hours) up.
const BUCKETS: usize = 48;

/// The bucket of a sample of `nanos` nanoseconds.
fn bucket_of(nanos: u64) -> usize {
    ((u64::BITS - nanos.leading_zeros()) as usize).min(BUCKETS - 1)
}

/// The nanoseconds bucket `k` covers: `start..end` (`end` is `u64::MAX`
/// for the last, open-ended bucket).
fn bounds(k: usize) -> Range<u64> {
    match k {
        0 => 0..1,
        k if k == BUCKETS - 1 => 1 << (k - 1)..u64::MAX,
        k => 1 << (k - 1)..1 << k,
    }
}

/// A snapshot of a histogram of durations, as found in
/// [`Metrics`](crate::Metrics) and [`WorkerMetrics`](crate::WorkerMetrics).
///
/// Samples are counted in power-of-two buckets of nanoseconds (bucket `k`
/// holds durations in `[2^(k-1), 2^k)` ns), so each is known to within a
/// factor of two; the sum is exact. Take two snapshots and
/// [`since`](Histogram::since) to look at a window.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), baton_protocol::Error> {
/// use std::time::Duration;
/// use baton_executor::LocalExecutor;
///
/// let reactor = baton_reactor_epoll::EpollReactor::new()?;
/// let ex = LocalExecutor::builder()
///     .reactor(reactor)
///     .metrics_histograms(true)
///     .build()?;
/// for _ in 0..10 {
///     let task = ex.spawn(async {})?;
///     ex.block_on(task)??;
/// }
/// let polls = ex.metrics().poll_duration;
/// assert!(polls.count() >= 10);
/// let p99 = polls.quantile(0.99).expect("ten samples");
/// assert!(p99 >= polls.quantile(0.5).expect("ten samples"));
/// for bucket in polls.buckets().filter(|b| b.count > 0) {
///     println!("{:?}..{:?}: {}", bucket.range.start, bucket.range.end, bucket.count);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Histogram {
    counts: [u64; BUCKETS],
    sum_nanos: u64,
}

/// One bucket of a [`Histogram`]: the durations it covers and how many
/// samples fell in it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bucket {
    /// The durations this bucket holds: `start` included, `end` excluded
    /// (`Duration::MAX` for the last bucket).
    pub range: Range<Duration>,
    /// Samples in it.
    pub count: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: [0; BUCKETS],
            sum_nanos: 0,
        }
    }
}

impl Histogram {
    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The sum of every sample.
    pub fn sum(&self) -> Duration {
        Duration::from_nanos(self.sum_nanos)
    }

    /// The mean sample; `None` without samples.
    pub fn mean(&self) -> Option<Duration> {
        let count = self.count();
        (count > 0).then(|| Duration::from_nanos(self.sum_nanos / count))
    }

    /// Every bucket, shortest durations first, empty ones included.
    pub fn buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.counts.iter().enumerate().map(|(k, &count)| {
            let Range { start, end } = bounds(k);
            let end = if end == u64::MAX {
                Duration::MAX
            } else {
                Duration::from_nanos(end)
            };
            Bucket {
                range: Duration::from_nanos(start)..end,
                count,
            }
        })
    }

    /// An upper bound of the `q` quantile (`q` in `0.0..=1.0`, clamped):
    /// the end of the bucket that holds it, so at most twice the true
    /// value (for the last, open bucket: its start). `None` without
    /// samples.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        // The rank of the sample that the quantile names, 1-based.
        let rank = ((q.clamp(0.0, 1.0) * count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (k, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let Range { start, end } = bounds(k);
                let bound = if end == u64::MAX { start } else { end };
                return Some(Duration::from_nanos(bound));
            }
        }
        None
    }

    /// What was recorded after `earlier`, a snapshot of the same histogram
    /// taken before this one (counts that went backwards give zero).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), baton_protocol::Error> {
    /// let ex = baton_executor::LocalExecutor::builder()
    ///     .reactor(baton_reactor_epoll::EpollReactor::new()?)
    ///     .metrics_histograms(true)
    ///     .build()?;
    /// ex.block_on(ex.spawn(async {})?)??;
    /// let before = ex.metrics().poll_duration;
    /// ex.block_on(ex.spawn(async {})?)??;
    /// let window = ex.metrics().poll_duration.since(&before);
    /// assert_eq!(window.count(), 1);
    /// assert!(window.sum() <= ex.metrics().poll_duration.sum());
    /// # Ok(())
    /// # }
    /// ```
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        let mut delta = Histogram::default();
        for (k, count) in delta.counts.iter_mut().enumerate() {
            *count = self.counts[k].saturating_sub(earlier.counts[k]);
        }
        delta.sum_nanos = self.sum_nanos.saturating_sub(earlier.sum_nanos);
        delta
    }

    /// Adds `other`'s samples to this one's.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (count, add) in self.counts.iter_mut().zip(other.counts) {
            *count += add;
        }
        self.sum_nanos += other.sum_nanos;
    }

    /// The buckets' counts, by bucket index, and each bucket's middle in
    /// nanoseconds (its start for the open last bucket): what the `metrics`
    /// exporter records.
    #[cfg(feature = "metrics")]
    pub(crate) fn middles(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts.iter().enumerate().map(|(k, &count)| {
            let Range { start, end } = bounds(k);
            let middle = if end == u64::MAX {
                start
            } else {
                start + (end - start) / 2
            };
            (middle, count)
        })
    }
}

impl fmt::Debug for Histogram {
    /// The count, the sum and the non-empty buckets only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buckets: Vec<_> = self
            .buckets()
            .filter(|b| b.count > 0)
            .map(|b| (b.range.start, b.count))
            .collect();
        f.debug_struct("Histogram")
            .field("count", &self.count())
            .field("sum", &self.sum())
            .field("buckets_from", &buckets)
            .finish()
    }
}

/// A histogram that one thread records into and any thread reads.
pub(crate) struct AtomicHistogram {
    counts: [AtomicU64; BUCKETS],
    sum_nanos: AtomicU64,
}

/// Adds to a counter that only the calling thread writes: a plain load and
/// store, no read-modify-write on the hot path.
fn add(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

impl AtomicHistogram {
    pub(crate) fn new() -> AtomicHistogram {
        AtomicHistogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Records one sample. Only one thread may record into a histogram.
    #[inline]
    pub(crate) fn record(&self, sample: Duration) {
        let nanos = u64::try_from(sample.as_nanos()).unwrap_or(u64::MAX);
        add(&self.counts[bucket_of(nanos)], 1);
        add(&self.sum_nanos, nanos);
    }

    pub(crate) fn snapshot(&self) -> Histogram {
        Histogram {
            counts: std::array::from_fn(|k| self.counts[k].load(Ordering::Relaxed)),
            sum_nanos: self.sum_nanos.load(Ordering::Relaxed),
        }
    }
}

impl fmt::Debug for AtomicHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.snapshot().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 1);
        assert_eq!(bucket_of(2), 2);
        assert_eq!(bucket_of(3), 2);
        assert_eq!(bucket_of(1023), 10);
        assert_eq!(bucket_of(1024), 11);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        for k in 0..BUCKETS {
            let Range { start, end } = bounds(k);
            assert_eq!(bucket_of(start), k);
            if end != u64::MAX {
                assert_eq!(bucket_of(end - 1), k);
                assert_eq!(bucket_of(end), k + 1);
            }
        }
    }

    #[test]
    fn counts_sums_and_quantiles() {
        let h = AtomicHistogram::new();
        assert_eq!(h.snapshot().quantile(0.5), None);
        for micros in [1, 2, 3, 100, 1000] {
            h.record(Duration::from_micros(micros));
        }
        let s = h.snapshot();
        assert_eq!(s.count(), 5);
        assert_eq!(s.sum(), Duration::from_micros(1106));
        assert_eq!(s.mean(), Some(Duration::from_nanos(1_106_000 / 5)));
        // The median, 3 µs, is in [2048, 4096) ns.
        assert_eq!(s.quantile(0.5), Some(Duration::from_nanos(4096)));
        // The maximum, 1 ms, is in [2^19, 2^20) ns.
        assert_eq!(s.quantile(1.0), Some(Duration::from_nanos(1 << 20)));
        assert_eq!(s.quantile(0.0), Some(Duration::from_nanos(1024)));
        let filled: u64 = s.buckets().map(|b| b.count).sum();
        assert_eq!(filled, 5);
        assert_eq!(s.buckets().count(), BUCKETS);
    }

    #[test]
    fn since_and_merge() {
        let h = AtomicHistogram::new();
        h.record(Duration::from_micros(5));
        let first = h.snapshot();
        h.record(Duration::from_micros(5));
        h.record(Duration::from_millis(5));
        let delta = h.snapshot().since(&first);
        assert_eq!(delta.count(), 2);
        assert_eq!(delta.sum(), Duration::from_micros(5005));
        let mut merged = first;
        merged.merge(&delta);
        assert_eq!(merged, h.snapshot());
    }

    #[test]
    fn the_last_bucket_is_open() {
        let h = AtomicHistogram::new();
        h.record(Duration::MAX);
        let s = h.snapshot();
        let last = s.buckets().last().unwrap();
        assert_eq!((last.count, last.range.end), (1, Duration::MAX));
        assert_eq!(s.quantile(1.0), Some(Duration::from_nanos(1 << 46)));
    }
}
