//! `Signals`: a stream of the signals of a set that reached the process.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use signal_hook::iterator::backend::SignalDelivery;
use signal_hook::iterator::exfiltrator::SignalOnly;

use super::SignalError;
use super::listeners::Table;
use crate::Error;
use crate::io::Async;

/// The read end of the self-pipe, shared by signal-hook's delivery (which
/// drains it) and [`Signals`] (which waits on it).
type Pipe = Arc<Async<UnixStream>>;

/// Listens for a set of signals: every signal of the set that reaches the
/// process is reported by [`recv`](Signals::recv).
///
/// The handler side is signal-hook's: on a signal, its handler records it
/// and writes a byte to a socket pair that this `Signals` owns, and whose
/// read end is registered with the reactor of the runtime entered when it
/// was created. So it works on every reactor and on the host backends, and
/// nothing runs in the signal handler but a flag store and a `send`.
///
/// # Several listeners
///
/// Each `Signals` has its own pipe: two listeners of one signal both get
/// it. A signal that arrives several times before `recv` reads it is
/// reported once (the kernel merges pending signals the same way).
///
/// # Dropping
///
/// Dropping a `Signals` removes its handler actions. Dropping the last
/// listener of a signal in the process (of baton's) gives the signal back
/// the disposition it had before the first one: `SIGINT` terminates the
/// process again, a handler installed earlier runs again. If some other
/// code replaced the handler since, baton leaves that in place.
///
/// # Notes
///
/// Other users of `signal-hook-registry` in the process (tokio's signals,
/// for one) share its handler: while a baton listener of a signal exists
/// they work as usual, but a disposition baton restores also stops their
/// actions for that signal until the next baton listener. Don't mix both on
/// one signal.
///
/// # Examples
///
/// ```no_run
/// use baton_protocol::signal::Signals;
///
/// # async fn demo() -> Result<(), baton_protocol::Error> {
/// let mut signals = Signals::new([libc::SIGHUP, libc::SIGTERM])?;
/// loop {
///     match signals.recv().await? {
///         libc::SIGHUP => { /* reload the configuration */ }
///         _ => break, // SIGTERM: shut down
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Signals {
    /// signal-hook's side: the handler actions and the pending flags.
    /// `None` only inside `drop`, which unregisters it first.
    delivery: Option<SignalDelivery<Pipe, SignalOnly>>,
    /// Declared after `delivery`: the read end outlives the actions that
    /// write to its peer.
    pipe: Pipe,
    /// The set, sorted, without repeats.
    set: Vec<libc::c_int>,
    /// Signals drained from the flags, not returned yet.
    ready: VecDeque<libc::c_int>,
}

impl Signals {
    /// Starts listening for every signal of `signals`, with the reactor of
    /// the runtime entered on this thread.
    ///
    /// A signal of the set that arrives from now on is reported by
    /// [`recv`](Signals::recv), and no longer has its previous effect (a
    /// `SIGINT` no longer terminates the process) while the `Signals` lives.
    ///
    /// # Errors
    ///
    /// - [`SignalError::Uncatchable`] for `SIGKILL` or `SIGSTOP`;
    /// - [`SignalError::Fault`] for `SIGSEGV`, `SIGILL` or `SIGFPE`;
    /// - [`SignalError::Invalid`] for a number that is not a signal;
    /// - [`SignalError::Io`] carrying [`Error::NoRuntime`] outside a
    ///   runtime, or the error of creating the socket pair.
    ///
    /// Nothing is registered when it fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use baton_protocol::signal::{SignalError, Signals};
    ///
    /// assert!(matches!(Signals::new([0]), Err(SignalError::Invalid(0))));
    /// assert!(matches!(
    ///     Signals::new([libc::SIGSTOP]),
    ///     Err(SignalError::Uncatchable(libc::SIGSTOP))
    /// ));
    /// ```
    pub fn new(signals: impl IntoIterator<Item = libc::c_int>) -> Result<Signals, SignalError> {
        let mut set: Vec<libc::c_int> = signals.into_iter().collect();
        set.sort_unstable();
        set.dedup();
        for &signal in &set {
            check(signal)?;
        }
        let (read, write) = UnixStream::pair()?;
        let pipe = Arc::new(Async::new(read)?);

        let mut table = Table::lock();
        let mut counted = Vec::with_capacity(set.len());
        let delivery = (|| {
            for &signal in &set {
                table.add(signal).map_err(|e| invalid(signal, e))?;
                counted.push(signal);
            }
            let delivery = SignalDelivery::with_pipe(Arc::clone(&pipe), write, SignalOnly, &set)?;
            for &signal in &set {
                table.registered(signal)?;
            }
            Ok::<_, SignalError>(delivery)
        })();
        // On an error the delivery, if made, was dropped (and its actions
        // unregistered) inside the closure; give the counts back too.
        let delivery = delivery.inspect_err(|_| {
            for &signal in &counted {
                table.remove(signal);
            }
        })?;
        drop(table);
        Ok(Signals {
            delivery: Some(delivery),
            pipe,
            set,
            ready: VecDeque::new(),
        })
    }

    /// The signals listened to, in increasing order.
    pub fn signals(&self) -> &[libc::c_int] {
        &self.set
    }

    /// Waits for the next signal of the set and returns its number.
    ///
    /// Signals that arrived since the last call are returned first, one
    /// per call, in increasing order of their numbers.
    ///
    /// # Errors
    ///
    /// As [`poll_recv`](Signals::poll_recv).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_protocol::signal::Signals;
    ///
    /// # async fn demo() -> Result<(), baton_protocol::Error> {
    /// let mut signals = Signals::new([libc::SIGUSR1])?;
    /// assert_eq!(signals.recv().await?, libc::SIGUSR1);
    /// # Ok(()) }
    /// ```
    pub fn recv(&mut self) -> impl Future<Output = Result<libc::c_int, Error>> + '_ {
        poll_fn(|cx| self.poll_recv(cx))
    }

    /// Polls for the next signal of the set.
    ///
    /// # Return value
    ///
    /// `Ready(Ok(signal))` for a signal that arrived and was not returned
    /// before; `Pending` with the waker stored in the reactor, woken when a
    /// signal arrives (or spuriously: the next poll then checks again).
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after the reactor shut down.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<libc::c_int, Error>> {
        loop {
            if let Some(signal) = self.ready.pop_front() {
                return Poll::Ready(Ok(signal));
            }
            ready!(self.pipe.poll_readable(cx))?;
            // Drains the pipe, then reads the flags: the handler sets a flag
            // before it writes, so a byte left unread means a flag not yet
            // seen, and a fresh readiness that finds none is only spurious.
            if let Some(delivery) = self.delivery.as_mut() {
                self.ready.extend(delivery.pending());
            }
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        // Under the lock, as the table's invariant asks: unregister the
        // actions, then count the listeners gone (and maybe restore).
        let mut table = Table::lock();
        drop(self.delivery.take());
        for &signal in &self.set {
            table.remove(signal);
        }
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("signals", &self.set)
            .field("ready", &self.ready)
            .finish_non_exhaustive()
    }
}

/// Refuses what signal-hook would panic on, with the reason.
fn check(signal: libc::c_int) -> Result<(), SignalError> {
    match signal {
        libc::SIGKILL | libc::SIGSTOP => Err(SignalError::Uncatchable(signal)),
        s if signal_hook::consts::FORBIDDEN.contains(&s) => Err(SignalError::Fault(signal)),
        // signal-hook keeps flags for numbers below 128, and asserts that.
        s if s <= 0 || s >= 128 || s > libc::SIGRTMAX() => Err(SignalError::Invalid(signal)),
        _ => Ok(()),
    }
}

/// `EINVAL` from `sigaction` means the number is no signal (or one the C
/// library keeps for itself).
fn invalid(signal: libc::c_int, e: io::Error) -> SignalError {
    if e.raw_os_error() == Some(libc::EINVAL) {
        SignalError::Invalid(signal)
    } else {
        SignalError::Io(e)
    }
}
