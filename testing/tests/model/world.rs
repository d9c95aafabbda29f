//! The world a sequence runs in: the subject reactor, real socket pairs (so
//! readiness is the kernel's), counting wakers, and the step loop that runs
//! each operation on the subject and checks its answer against the
//! [`Model`].

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use baton_protocol::reactor::{SourceKey, Tick, TimerKey, Turn};
use baton_protocol::{Direction, Error, Reactor};
use baton_testing::CountingWaker;

use super::op::{Delay, MAX_BUFFERED, Op, PIPES, TickChoice, WAITERS};
use super::reference::{Life, Model, TimerLife, Unpark, Want};
use super::subject::Subject;

/// What a step returns: a description of the first contract violation.
pub(crate) type Step = Result<(), String>;

/// Turns [`World::settle`] may take to deliver everything due. `Chaos`
/// injects at most three faults in a row per stream and each needs a turn;
/// a correct real reactor needs one or two.
const SETTLE_TURNS: usize = 32;

/// Each settle turn's timeout. Not a speed claim: a correct reactor returns
/// before it (the kernel queues a socket pair's event as the write or read
/// that causes it returns, and the nearest timer bounds the wait); only a
/// lost wake-up waits this long, SETTLE_TURNS times, before failing — which
/// also bounds what each failing case costs the shrinker.
const SETTLE_PARK: Duration = Duration::from_millis(20);

/// On a real clock, settle waits for the timers due within this horizon
/// (op delays are a few milliseconds; `Delay::Hour` timers are left alone).
const SETTLE_HORIZON: Duration = Duration::from_secs(1);

/// A park that only another thread's `unpark` can end. Not a speed claim:
/// reaching it means the unpark was lost.
const HANG_GUARD: Duration = Duration::from_secs(10);

/// The waiter identity the settle loop polls with.
const SETTLE_WAITER: usize = WAITERS;

/// A timer's waker: logs which timer woke, and when on the real clock.
struct TimerWake {
    id: usize,
    log: Arc<Mutex<Vec<(usize, Instant)>>>,
}

impl Wake for TimerWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let at = Instant::now();
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((self.id, at));
    }
}

/// One waiter identity on one (source, direction): its counter, and its
/// count when its last `Pending` stored it (`None`: not stored).
struct Waiter {
    counter: CountingWaker,
    stored_at: Option<usize>,
}

impl Waiter {
    fn unwoken(&self) -> bool {
        self.stored_at.is_some_and(|at| self.counter.count() == at)
    }
}

/// A subject, its model, and the OS resources of one sequence.
pub(crate) struct World {
    subject: Subject,
    model: Model,
    /// `(registered end, peer)`, both non-blocking.
    pipes: Vec<(UnixStream, UnixStream)>,
    /// A regular file, which no reactor may register (Decision 4).
    file: File,
    waiters: HashMap<(usize, Direction, usize), Waiter>,
    timer_log: Arc<Mutex<Vec<(usize, Instant)>>>,
    timer_wakers: Vec<Waker>,
    /// The deadline each timer was last given, for `Delay::Like`.
    timer_deadlines: Vec<Instant>,
}

fn err_name(e: &Error) -> String {
    format!("{e:?}")
}

fn expect_err<T: std::fmt::Debug>(what: &str, got: Result<T, Error>, want: Want) -> Step {
    match got {
        Err(e) if want.is(&e) => Ok(()),
        other => Err(format!("{what}: expected {want:?}, got {other:?}")),
    }
}

impl World {
    pub(crate) fn new(subject: Subject) -> io::Result<World> {
        let mut pipes = Vec::with_capacity(PIPES);
        for _ in 0..PIPES {
            let (a, b) = UnixStream::pair()?;
            a.set_nonblocking(true)?;
            b.set_nonblocking(true)?;
            // A small send buffer: `Fill` takes a few writes, not hundreds.
            socket2::SockRef::from(&a).set_send_buffer_size(4096)?;
            pipes.push((a, b));
        }
        Ok(World {
            subject,
            model: Model::new(),
            pipes,
            file: File::open(std::env::current_exe()?)?,
            waiters: HashMap::new(),
            timer_log: Arc::default(),
            timer_wakers: Vec::new(),
            timer_deadlines: Vec::new(),
        })
    }

    fn reactor(&self) -> &dyn Reactor {
        &*self.subject.reactor
    }

    /// Runs `ops`, then (unless shut down) settles and tears down: every
    /// registration and timer released, `stats()` back to zero.
    pub(crate) fn run(mut self, ops: &[Op]) -> Step {
        for (i, op) in ops.iter().enumerate() {
            self.step(*op)
                .map_err(|e| format!("step {i} ({op:?}): {e}"))?;
        }
        if self.model.shutdown {
            return Ok(());
        }
        self.settle().map_err(|e| format!("final settle: {e}"))?;
        self.teardown().map_err(|e| format!("teardown: {e}"))
    }

    fn src(&self, i: usize) -> Option<usize> {
        (!self.model.sources.is_empty()).then(|| i % self.model.sources.len())
    }

    fn source_key(&self, src: Option<usize>) -> SourceKey {
        src.map_or(SourceKey::from_raw(u64::MAX), |s| self.model.sources[s].key)
    }

    fn timer(&self, i: usize) -> Option<usize> {
        (!self.model.timers.is_empty()).then(|| i % self.model.timers.len())
    }

    fn timer_key(&self, timer: Option<usize>) -> TimerKey {
        timer.map_or(TimerKey::from_raw(u64::MAX), |t| self.model.timers[t].0)
    }

    fn take_log(&self) -> Vec<(usize, Instant)> {
        std::mem::take(
            &mut *self
                .timer_log
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    fn deadline(&self, delay: Delay) -> Instant {
        let now = self.reactor().now();
        match delay {
            Delay::Past => now.checked_sub(Duration::from_millis(1)).unwrap_or(now),
            Delay::Zero => now,
            Delay::Ms(ms) => now + Duration::from_millis(u64::from(ms)),
            Delay::Hour => now + Duration::from_secs(3600),
            Delay::Like(t) => self.timer(t).map_or(now, |t| self.timer_deadlines[t]),
        }
    }

    fn step(&mut self, op: Op) -> Step {
        let parks = matches!(
            op,
            Op::Park { .. }
                | Op::ParkUnparkedFromThread
                | Op::Advance { .. }
                | Op::Settle
                | Op::Shutdown
        );
        self.apply(op)?;
        if !parks {
            // Timers fire only in park (or advance): never inline.
            let log = self.take_log();
            if !log.is_empty() {
                return Err(format!("timers {log:?} fired outside park"));
            }
        }
        if !self.model.shutdown {
            let stats = self.reactor().stats();
            let want = self.model.stats();
            if (stats.registrations, stats.timers) != want {
                return Err(format!(
                    "stats() = {stats:?}, the model counts (registrations, timers) = {want:?}"
                ));
            }
        }
        Ok(())
    }

    fn apply(&mut self, op: Op) -> Step {
        match op {
            Op::Register { pipe, int } => self.register(pipe, int.interest()),
            Op::RegisterBad { regular_file } => self.register_bad(regular_file),
            Op::Reregister { src, int } => self.reregister(self.src(src), int.interest()),
            Op::Deregister { src } => self.deregister(self.src(src)),
            Op::Close { src } => self.close(self.src(src)),
            Op::PollReady { src, dir, waiter } => self.poll_ready(self.src(src), dir, waiter),
            Op::Clear {
                src,
                dir,
                tick,
                drained,
            } => self.clear(self.src(src), dir, tick, drained),
            Op::Write { pipe, len } => self.write(pipe, len),
            Op::Read { pipe, len } => self.read(pipe, len),
            Op::Fill { pipe } => self.fill(pipe),
            Op::DrainPeer { pipe } => self.drain_peer(pipe),
            Op::InsertTimer { delay } => self.insert_timer(delay),
            Op::ResetTimer { timer, delay } => self.reset_timer(self.timer(timer), delay),
            Op::CancelTimer { timer } => self.cancel_timer(self.timer(timer)),
            Op::PollTimer { timer } => self.poll_timer(self.timer(timer)),
            Op::Park { ms, idle } => self
                .park(Some(Duration::from_millis(u64::from(ms))), idle)
                .map(drop),
            Op::Unpark => {
                self.reactor().unpark();
                if !self.model.shutdown {
                    self.model.unpark = Unpark::Yes;
                }
                Ok(())
            }
            Op::ParkUnparkedFromThread => self.park_unparked_from_thread(),
            Op::Advance { delay } => self.advance(delay),
            Op::Settle => self.settle(),
            Op::Shutdown => self.shutdown(),
        }
    }

    // ---- sources -------------------------------------------------------

    fn register(&mut self, pipe: usize, interest: baton_protocol::Interest) -> Step {
        let fd = self.pipes[pipe].0.as_raw_fd();
        let got = self.reactor().register(fd, interest);
        if let Some(want) = self.model.register_error(pipe) {
            return expect_err("register", got, want);
        }
        let key = got.map_err(|e| format!("register: expected Ok, got {}", err_name(&e)))?;
        if self.model.sources.iter().any(|s| s.key == key) {
            return Err(format!("register handed out {key:?} again"));
        }
        self.model.registered(pipe, key, interest);
        Ok(())
    }

    fn register_bad(&mut self, regular_file: bool) -> Step {
        let fd = if regular_file {
            self.file.as_raw_fd()
        } else {
            -1
        };
        let got = self.reactor().register(fd, baton_protocol::Interest::READ);
        let want = match (regular_file, self.model.shutdown) {
            (true, true) => Want::Shutdown,
            (true, false) => Want::Unsupported,
            (false, _) => Want::InvalidInput,
        };
        // After shutdown, a negative fd may be refused for either reason.
        if !regular_file && self.model.shutdown && matches!(got, Err(Error::Shutdown)) {
            return Ok(());
        }
        expect_err("register(bad fd)", got, want)
    }

    /// Every waiter stored on `src` (in `dirs`) must have been woken by
    /// the call that just returned; they are forgotten.
    fn all_woken(&mut self, src: usize, dirs: &[Direction], why: &str) -> Step {
        let mut missed = Vec::new();
        for (&(s, dir, id), waiter) in &mut self.waiters {
            if s == src && dirs.contains(&dir) {
                if waiter.unwoken() {
                    missed.push((dir, id));
                }
                waiter.stored_at = None;
            }
        }
        missed.sort_by_key(|&(dir, id)| (dir.index(), id));
        if missed.is_empty() {
            Ok(())
        } else {
            Err(format!("{why} did not wake the waiters {missed:?}"))
        }
    }

    fn reregister(&mut self, src: Option<usize>, interest: baton_protocol::Interest) -> Step {
        let got = self.reactor().reregister(self.source_key(src), interest);
        if let Some(want) = self.model.source_error(src, false) {
            return expect_err("reregister", got, want);
        }
        got.map_err(|e| format!("reregister: expected Ok, got {}", err_name(&e)))?;
        let src = src.expect("an open source");
        let old = self.model.interest(src).expect("an open source");
        let dropped: Vec<Direction> = Direction::ALL
            .into_iter()
            .filter(|&d| old.contains(d) && !interest.contains(d))
            .collect();
        self.all_woken(src, &dropped, "reregister dropping a direction")?;
        self.model.reregistered(src, interest);
        Ok(())
    }

    fn deregister(&mut self, src: Option<usize>) -> Step {
        let got = self.reactor().deregister(self.source_key(src));
        let want = if self.model.shutdown {
            None // after shutdown, deregistering anything succeeds
        } else {
            self.model.source_error(src, true)
        };
        if let Some(want) = want {
            return expect_err("deregister", got, want);
        }
        got.map_err(|e| format!("deregister: expected Ok, got {}", err_name(&e)))?;
        if let Some(src) = src {
            if !self.model.shutdown {
                self.all_woken(src, &Direction::ALL, "deregister")?;
            }
            self.model.deregistered(src);
        }
        Ok(())
    }

    fn close(&mut self, src: Option<usize>) -> Step {
        let got = self.reactor().close(self.source_key(src));
        if let Some(want) = self.model.source_error(src, true) {
            return expect_err("close", got, want);
        }
        got.map_err(|e| format!("close: expected Ok, got {}", err_name(&e)))?;
        let src = src.expect("a live source");
        if self.model.sources[src].life != Life::Closed {
            self.all_woken(src, &Direction::ALL, "close")?;
        }
        self.model.closed(src);
        Ok(())
    }

    fn poll_ready(&mut self, src: Option<usize>, dir: Direction, waiter: usize) -> Step {
        let key = self.source_key(src);
        let mut want = self.model.source_error(src, false);
        if want.is_none()
            && let Some(s) = src
            && !self.model.interest(s).is_some_and(|i| i.contains(dir))
        {
            want = Some(Want::InvalidInput);
        }
        let Some(src) = src.filter(|_| want.is_none()) else {
            let got = self
                .reactor()
                .poll_ready(key, dir, &mut Context::from_waker(Waker::noop()));
            return match got {
                Poll::Ready(Err(e)) if want.is_some_and(|w| w.is(&e)) => Ok(()),
                other => Err(format!("poll_ready: expected {want:?}, got {other:?}")),
            };
        };
        let entry = self
            .waiters
            .entry((src, dir, waiter))
            .or_insert_with(|| Waiter {
                counter: CountingWaker::new(),
                stored_at: None,
            });
        let waker = entry.counter.waker();
        let got = self
            .subject
            .reactor
            .poll_ready(key, dir, &mut Context::from_waker(&waker));
        match got {
            Poll::Ready(Ok(tick)) => {
                entry.stored_at = None;
                self.model.ready(src, dir, tick)
            }
            Poll::Pending => {
                entry.stored_at = Some(entry.counter.count());
                self.model.pending(src, dir, self.subject.caps.may_delay)
            }
            Poll::Ready(Err(e)) => Err(format!("poll_ready: expected Ready or Pending, got {e:?}")),
        }
    }

    fn clear(
        &mut self,
        src: Option<usize>,
        dir: Direction,
        choice: TickChoice,
        drained: bool,
    ) -> Step {
        let key = self.source_key(src);
        let tick = src
            .filter(|&s| self.model.sources[s].life != Life::Gone)
            .and_then(|s| match choice {
                TickChoice::Last => self.model.tick_for(s, dir, true),
                TickChoice::Older => self.model.tick_for(s, dir, false),
                TickChoice::Foreign => None,
            })
            .unwrap_or(Tick::from_raw(u64::MAX));
        // Only a caller that knows the fd is drained may say so.
        let drained = drained && src.is_some_and(|s| !self.model.os_ready(s, dir));
        let got = if drained {
            self.reactor().clear_drained(key, dir, tick)
        } else {
            self.reactor().clear_ready(key, dir, tick)
        };
        if let Some(want) = self.model.source_error(src, false) {
            return expect_err("clear_ready", got, want);
        }
        got.map_err(|e| format!("clear_ready: expected Ok, got {}", err_name(&e)))?;
        let src = src.expect("an open source");
        if self.model.interest(src).is_some_and(|i| i.contains(dir)) {
            self.model.cleared(src, dir, tick);
        }
        Ok(())
    }

    // ---- data: what makes readiness real ---------------------------------

    fn write(&mut self, pipe: usize, len: usize) -> Step {
        let len = len.min(MAX_BUFFERED - self.model.pipes[pipe].buffered);
        if len == 0 {
            return Ok(());
        }
        let n = (&self.pipes[pipe].1)
            .write(&[7u8; 64][..len])
            .map_err(|e| format!("peer write: {e}"))?;
        if n != len {
            return Err(format!(
                "peer wrote {n} of {len} bytes (the model assumes all)"
            ));
        }
        self.model.pipes[pipe].buffered += n;
        Ok(())
    }

    fn read(&mut self, pipe: usize, len: usize) -> Step {
        let buffered = self.model.pipes[pipe].buffered;
        let mut buf = [0u8; 96];
        match (&self.pipes[pipe].0).read(&mut buf[..len]) {
            Ok(n) if n == len.min(buffered) && buffered > 0 => {
                self.model.pipes[pipe].buffered -= n;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && buffered == 0 => Ok(()),
            other => Err(format!(
                "read of {len} with {buffered} buffered returned {other:?} (the model's view of the socket is wrong)"
            )),
        }
    }

    fn fill(&mut self, pipe: usize) -> Step {
        let chunk = [1u8; 4096];
        for _ in 0..1024 {
            match (&self.pipes[pipe].0).write(&chunk) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.model.pipes[pipe].full = true;
                    return Ok(());
                }
                Err(e) => return Err(format!("fill: {e}")),
            }
        }
        Err("fill: the socket never said WouldBlock".into())
    }

    fn drain_peer(&mut self, pipe: usize) -> Step {
        let mut buf = [0u8; 8192];
        loop {
            match (&self.pipes[pipe].1).read(&mut buf) {
                Ok(0) => return Err("drain: the registered end hung up".into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.model.pipes[pipe].full = false;
                    return Ok(());
                }
                Err(e) => return Err(format!("drain: {e}")),
            }
        }
    }

    // ---- timers ----------------------------------------------------------

    fn insert_timer(&mut self, delay: Delay) -> Step {
        let deadline = self.deadline(delay);
        let id = self.model.timers.len();
        let waker = Waker::from(Arc::new(TimerWake {
            id,
            log: Arc::clone(&self.timer_log),
        }));
        let got = self.reactor().insert_timer(deadline, &waker);
        if self.model.shutdown {
            return expect_err("insert_timer", got, Want::Shutdown);
        }
        let key = got.map_err(|e| format!("insert_timer: expected Ok, got {}", err_name(&e)))?;
        if self.model.timers.iter().any(|(k, _)| *k == key) {
            return Err(format!("insert_timer handed out {key:?} again"));
        }
        self.model.timer_inserted(key, deadline);
        self.timer_wakers.push(waker);
        self.timer_deadlines.push(deadline);
        Ok(())
    }

    fn reset_timer(&mut self, timer: Option<usize>, delay: Delay) -> Step {
        let deadline = self.deadline(delay);
        let got = self.reactor().reset_timer(self.timer_key(timer), deadline);
        let live = timer.filter(|&t| self.model.timers[t].1 != TimerLife::Cancelled);
        match (self.model.shutdown, live) {
            (true, _) => expect_err("reset_timer", got, Want::Shutdown),
            (false, None) => expect_err("reset_timer", got, Want::NotRegistered),
            (false, Some(t)) => {
                got.map_err(|e| format!("reset_timer: expected Ok, got {}", err_name(&e)))?;
                let fired = matches!(self.model.timers[t].1, TimerLife::Fired { .. });
                self.model.timer_reset(t, deadline);
                self.timer_deadlines[t] = deadline;
                if fired {
                    // Firing consumed the waker (the timer table keeps none
                    // until the next poll), so a caller that re-arms a fired
                    // timer polls it, as `Sleep::reset` does; it must be
                    // pending again, even with a past deadline.
                    self.poll_timer(Some(t))?;
                }
                Ok(())
            }
        }
    }

    fn cancel_timer(&mut self, timer: Option<usize>) -> Step {
        let got = self.reactor().cancel_timer(self.timer_key(timer));
        let want = !self.model.shutdown
            && timer.is_some_and(|t| matches!(self.model.timers[t].1, TimerLife::Pending { .. }));
        if got != want {
            return Err(format!(
                "cancel_timer returned {got}, the model says {want}"
            ));
        }
        if let Some(t) = timer
            && !self.model.shutdown
        {
            self.model.timers[t].1 = TimerLife::Cancelled;
        }
        Ok(())
    }

    fn poll_timer(&mut self, timer: Option<usize>) -> Step {
        let waker = timer.map_or_else(|| Waker::noop().clone(), |t| self.timer_wakers[t].clone());
        let got = self
            .reactor()
            .poll_timer(self.timer_key(timer), &mut Context::from_waker(&waker));
        let life = timer.map_or(TimerLife::Cancelled, |t| self.model.timers[t].1);
        let ok = matches!(
            (&got, self.model.shutdown, life),
            (Poll::Ready(Err(Error::Shutdown)), true, _)
                | (
                    Poll::Ready(Err(Error::NotRegistered)),
                    false,
                    TimerLife::Cancelled
                )
                | (Poll::Ready(Ok(())), false, TimerLife::Fired { .. })
                | (Poll::Pending, false, TimerLife::Pending { .. })
        );
        if ok {
            Ok(())
        } else {
            Err(format!(
                "poll_timer returned {got:?} for a timer the model has {life:?}"
            ))
        }
    }

    // ---- park ------------------------------------------------------------

    /// One park, checked: unpark reported, timers fired exactly as allowed.
    fn park(&mut self, timeout: Option<Duration>, idle: bool) -> Result<Option<Turn>, String> {
        if self.model.shutdown {
            expect_err("park", self.reactor().park(timeout, idle), Want::Shutdown)?;
            return Ok(None);
        }
        let caps = self.subject.caps;
        let unpark = self.model.unpark;
        let before = self.reactor().now();
        let due = self.model.due(before);
        let next = self.model.next_deadline();
        let got = self.reactor().park(timeout, idle);
        let after = self.reactor().now();
        let turn = got.map_err(|e| format!("park: {e:?}"))?;
        let log = self.take_log();
        match unpark {
            Unpark::Yes if !turn.unparked => {
                return Err(format!(
                    "an unpark before the park was not reported: {turn:?}"
                ));
            }
            Unpark::No if turn.unparked && !caps.spurious_unpark => {
                return Err(format!("unparked reported with no unpark: {turn:?}"));
            }
            _ => {}
        }
        if turn.timers_fired != log.len() {
            return Err(format!(
                "turn says {} timers fired, {} wakers were woken ({log:?})",
                turn.timers_fired,
                log.len()
            ));
        }
        // On a virtual clock, a timer fires at the clock's instant, not the
        // real one its waker saw.
        let fired: Vec<(usize, Instant)> = log
            .iter()
            .map(|&(t, at)| (t, if caps.virtual_clock { after } else { at }))
            .collect();
        self.model.fired(&fired)?;
        let spurious_turn = caps.empty_turns && turn.is_empty();
        if !spurious_turn {
            let missed: Vec<usize> = due
                .iter()
                .copied()
                .filter(|t| !log.iter().any(|(f, _)| f == t))
                .collect();
            if !missed.is_empty() {
                return Err(format!(
                    "timers {missed:?} were due when the park began and did not fire"
                ));
            }
        }
        if caps.virtual_clock {
            if after != before && !(next == Some(after) && after > before) {
                return Err(format!(
                    "the virtual clock moved by {:?}, not to the next deadline ({:?} ahead)",
                    after.duration_since(before),
                    next.map(|n| n.saturating_duration_since(before))
                ));
            }
            if let Some(&t) = self.model.due(after).first() {
                return Err(format!(
                    "timer #{t} is due on the virtual clock but did not fire"
                ));
            }
        }
        self.model.parked();
        Ok(Some(turn))
    }

    fn park_unparked_from_thread(&mut self) -> Step {
        if self.model.shutdown {
            return self.park(Some(HANG_GUARD), true).map(drop);
        }
        let reactor = Arc::clone(&self.subject.reactor);
        let unpark = self.model.unpark;
        let start = Instant::now();
        let turn = std::thread::scope(|scope| {
            scope.spawn(|| reactor.unpark());
            // The other thread's unpark lands before or during this park;
            // either way the park must end (an unpark before park makes it
            // return at once).
            self.model.unpark = Unpark::Maybe;
            self.park(Some(HANG_GUARD), true)
        })?;
        if start.elapsed() >= HANG_GUARD {
            return Err("the park was not ended by another thread's unpark".into());
        }
        // The unpark was consumed by this park only if it reported one and
        // none was pending before; otherwise the next park may see it.
        let consumed = turn.is_some_and(|t| t.unparked) && unpark == Unpark::No;
        self.model.unpark = if consumed { Unpark::No } else { Unpark::Maybe };
        Ok(())
    }

    fn advance(&mut self, delay: Delay) -> Step {
        let Some(advance) = &self.subject.advance else {
            return Ok(());
        };
        let before = self.reactor().now();
        let by = self.deadline(delay).saturating_duration_since(before);
        // Shutdown emptied the timer table: nothing is left to fire.
        let want = if self.model.shutdown {
            Vec::new()
        } else {
            self.model.due(before + by)
        };
        let n = advance(by);
        let after = self.reactor().now();
        if after != before + by {
            return Err(format!(
                "advance({by:?}) moved the clock by {:?}",
                after - before
            ));
        }
        let log = self.take_log();
        if n != want.len() || log.iter().map(|(t, _)| *t).ne(want.iter().copied()) {
            return Err(format!(
                "advance({by:?}) fired {n}, woke {log:?}; the model says {want:?} in that order"
            ));
        }
        if self.model.shutdown {
            return Ok(());
        }
        let fired: Vec<(usize, Instant)> = log.iter().map(|&(t, _)| (t, after)).collect();
        self.model.fired(&fired)
    }

    // ---- settle, shutdown, teardown --------------------------------------

    /// Parks until every readiness the OS holds has reached the model (each
    /// stored waiter woken, a settle waiter woken and then `Ready`) and
    /// every timer due soon has fired; fails after [`SETTLE_TURNS`].
    ///
    /// The settle waiter re-polls only once woken: a readiness that never
    /// wakes its waiter (a lost wake-up), or a clear with data left that is
    /// never re-delivered, fails here.
    fn settle(&mut self) -> Step {
        if self.model.shutdown {
            return Ok(());
        }
        for turn in 0..=SETTLE_TURNS {
            let mut open = Vec::new();
            for (src, dir) in self.model.must_deliver() {
                let half = self.model.sources[src].halves[dir.index()];
                let settle_waiting = self
                    .waiters
                    .get(&(src, dir, SETTLE_WAITER))
                    .is_some_and(Waiter::unwoken);
                if half.cached.is_none() && !settle_waiting {
                    self.poll_ready(Some(src), dir, SETTLE_WAITER)?;
                }
                let delivered = self.model.sources[src].halves[dir.index()].cached.is_some();
                let unwoken: Vec<usize> = (0..=WAITERS)
                    .filter(|&id| {
                        self.waiters
                            .get(&(src, dir, id))
                            .is_some_and(Waiter::unwoken)
                    })
                    .collect();
                if !delivered || !unwoken.is_empty() {
                    open.push((src, dir, delivered, unwoken));
                }
            }
            // Under virtual time every timer is due soon: idle parks jump.
            let timers = if self.subject.caps.virtual_clock {
                self.model.pending_timers()
            } else {
                self.model.due(self.reactor().now() + SETTLE_HORIZON)
            };
            if open.is_empty() && timers.is_empty() {
                return Ok(());
            }
            if turn == SETTLE_TURNS {
                return Err(format!(
                    "after {SETTLE_TURNS} turns, readiness not delivered \
                     (source, direction, readiness seen, waiters never woken): {open:?}; \
                     timers not fired: {timers:?}"
                ));
            }
            self.park(Some(SETTLE_PARK), true)?;
        }
        Ok(())
    }

    fn shutdown(&mut self) -> Step {
        self.reactor().shutdown();
        let was = std::mem::replace(&mut self.model.shutdown, true);
        if was {
            return Ok(());
        }
        let mut missed: Vec<_> = self
            .waiters
            .iter()
            .filter(|(_, w)| w.unwoken())
            .map(|(k, _)| *k)
            .collect();
        missed.sort_by_key(|&(src, dir, id)| (src, dir.index(), id));
        if !missed.is_empty() {
            return Err(format!("shutdown did not wake the waiters {missed:?}"));
        }
        let log = self.take_log();
        let missed: Vec<usize> = self
            .model
            .timers
            .iter()
            .enumerate()
            .filter(|(t, (_, life))| {
                matches!(life, TimerLife::Pending { .. }) && !log.iter().any(|(f, _)| f == t)
            })
            .map(|(t, _)| t)
            .collect();
        if missed.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "shutdown did not wake the pending timers {missed:?}"
            ))
        }
    }

    fn teardown(&mut self) -> Step {
        for src in 0..self.model.sources.len() {
            if self.model.sources[src].life != Life::Gone {
                self.deregister(Some(src))?;
            }
        }
        for t in 0..self.model.timers.len() {
            self.cancel_timer(Some(t))?;
        }
        let stats = self.reactor().stats();
        if (stats.registrations, stats.timers) != (0, 0) {
            return Err(format!("stats() = {stats:?} after releasing everything"));
        }
        Ok(())
    }
}
