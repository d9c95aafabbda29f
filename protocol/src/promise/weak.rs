//! `WeakPromise`: a reference that does not keep a Promise alive.

use std::fmt;
use std::sync::Weak;

use super::Promise;
use super::state::Inner;

/// A reference to a [`Promise`] that does not keep it alive, made by
/// [`Promise::downgrade`]. Capture one in a done callback registered on the
/// same Promise to avoid a reference cycle.
///
/// # Examples
///
/// ```
/// use baton_protocol::promise::{DoneCallback, Promise};
///
/// let promise = Promise::<u32>::new();
/// let weak = promise.downgrade();
/// promise.add_done_callback(DoneCallback::new(move |_: &Promise<u32>| {
///     // `weak` does not keep `promise` alive from inside its own callback.
///     let _ = weak.upgrade();
/// }));
/// let weak = promise.downgrade();
/// drop(promise);
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakPromise<T> {
    inner: Weak<Inner<T>>,
}

impl<T> WeakPromise<T> {
    pub(super) fn new(inner: Weak<Inner<T>>) -> Self {
        WeakPromise { inner }
    }

    /// The Promise, if some [`Promise`] (or a pending wait or scheduled
    /// callback on it) still holds it.
    pub fn upgrade(&self) -> Option<Promise<T>> {
        self.inner.upgrade().map(Promise::from_inner)
    }
}

impl<T> Clone for WeakPromise<T> {
    fn clone(&self) -> Self {
        WeakPromise {
            inner: Weak::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for WeakPromise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(WeakPromise)")
    }
}
