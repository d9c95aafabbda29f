//! The design note's interactive session, in Rust: a coroutine driven by
//! hand, one step at a time, with [`Stepper`].
//!
//! The note pokes at asyncio in IPython: `x = asyncio.sleep(1)`,
//! `q = x.send(None)` hands back the pending Future the coroutine waits
//! on, `q.set_result({'a': 1})` completes it by hand, and `q.done()` turns
//! true. [`transcript`] replays that session with baton's names and prints
//! it, IPython style, in three parts:
//!
//! 1. the note's session: a coroutine awaiting a [`Promise`], stepped by
//!    hand; the step reports *what* it waits on (the Promise's id), since a
//!    Rust future returns a bare `Pending` where Python yields the Future;
//! 2. the note's two kinds of coroutine side by side: a hand-written
//!    [`Future`] with its own `poll` (Python's generator-based coroutine,
//!    `@types.coroutine` with `yield`) and an `async fn` (the native
//!    `async def`), stepped the same way;
//! 3. `sleep` on a real reactor, the loop turned by hand: the step reports
//!    the timer deadline it waits on, one [`Reactor::park`] sleeps until
//!    that nearest deadline (the note's heap of sleepers) and fires it, and
//!    the coroutine, woken, completes.
//!
//! The `step` binary prints it; `tests/step.rs` checks it.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::{Future, IntoFuture};
use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use baton_protocol::promise::Wait;
use baton_protocol::testing::{Step, Stepper};
use baton_protocol::time::sleep;
use baton_protocol::{Error, Handle, Promise, Reactor};

/// An IPython-style session: numbered inputs, each with the Python line it
/// stands for, and outputs.
struct Session<'a, W> {
    out: &'a mut W,
    count: usize,
}

impl<W: Write> Session<'_, W> {
    /// Prints `In [n]: rust` with the note's Python as a comment.
    fn input(&mut self, rust: &str, python: &str) -> io::Result<()> {
        self.count += 1;
        if python.is_empty() {
            writeln!(self.out, "In [{}]: {rust}", self.count)
        } else {
            writeln!(self.out, "In [{}]: {rust:<52} # {python}", self.count)
        }
    }

    /// Prints `Out[n]: text`.
    fn output(&mut self, text: impl std::fmt::Display) -> io::Result<()> {
        writeln!(self.out, "Out[{}]: {text}", self.count)
    }

    fn note(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "# {text}")
    }

    fn heading(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "\n== {text} ==")
    }
}

/// A step, as the transcript shows it.
fn show<T: Debug>(step: Step<T>) -> String {
    match step {
        Step::Ready(output) => format!("Ready({output:?})"),
        Step::Pending {
            waits_on: Some(what),
        } => format!("Pending: waits on {what}"),
        Step::Pending { waits_on: None } => "Pending (no wait reported)".to_owned(),
        Step::Finished => "Finished: already returned (Python: StopIteration)".to_owned(),
    }
}

/// The coroutine of part 1: the note's `asyncio.sleep(1)` stand-in, which
/// suspends on a Promise until someone completes it.
async fn coroutine<T: Clone>(q: Promise<T>) -> Result<T, Error> {
    q.await
}

/// Part 2's generator-based coroutine: a state machine with a hand-written
/// `poll` that suspends twice, once on each Promise, then returns the sum.
/// Each `Pending` is Python's `yield` inside `@types.coroutine`.
pub struct AddTwo {
    state: AddState,
}

enum AddState {
    /// Waiting for `a`; `b` not yet awaited.
    First { a: Wait<i32>, b: Promise<i32> },
    /// `a` gave `x`; waiting for `b`.
    Second { x: i32, b: Wait<i32> },
    /// Returned.
    Done,
}

impl AddTwo {
    /// Awaits `a`, then `b`, and returns their sum.
    pub fn new(a: Promise<i32>, b: Promise<i32>) -> AddTwo {
        AddTwo {
            state: AddState::First {
                a: a.into_future(),
                b,
            },
        }
    }
}

impl Future for AddTwo {
    type Output = Result<i32, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                AddState::First { a, b } => {
                    // Pending here is the first `yield`.
                    let x = ready!(Pin::new(a).poll(cx))?;
                    let b = b.clone().into_future();
                    self.state = AddState::Second { x, b };
                }
                AddState::Second { x, b } => {
                    // And here the second.
                    let y = ready!(Pin::new(b).poll(cx))?;
                    let sum = *x + y;
                    self.state = AddState::Done;
                    return Poll::Ready(Ok(sum));
                }
                AddState::Done => {
                    return Poll::Ready(Err(Error::InvalidState(
                        "AddTwo polled after it returned",
                    )));
                }
            }
        }
    }
}

/// Part 2's native coroutine: the same logic; the compiler writes the
/// state machine.
pub async fn add_two(a: Promise<i32>, b: Promise<i32>) -> Result<i32, Error> {
    Ok(a.await? + b.await?)
}

/// Prints the whole transcript to `out`. `handle` is a runtime whose
/// executor is idle, not running: part 3 turns its reactor by hand.
///
/// # Errors
///
/// Writing to `out`; the reactor's `park` error, as an `io::Error`.
pub fn transcript(out: &mut impl Write, handle: &Handle) -> io::Result<()> {
    let mut s = Session { out, count: 0 };
    note_session(&mut s)?;
    two_coroutines(&mut s)?;
    sleep_by_hand(&mut s, handle)
}

/// Part 1: the note's IPython session.
fn note_session<W: Write>(s: &mut Session<'_, W>) -> io::Result<()> {
    s.heading("1. the design note's session: x = asyncio.sleep(1); q = x.send(None)")?;
    s.input(
        "let q = Promise::<BTreeMap<&str, i32>>::new();",
        "the Future asyncio.sleep creates",
    )?;
    let q = Promise::<BTreeMap<&str, i32>>::new();
    s.input(
        "let mut x = Stepper::new(coroutine(q.clone()));",
        "x = asyncio.sleep(1)",
    )?;
    let mut x = Stepper::new(coroutine(q.clone()));
    s.input("x.step()", "q = x.send(None)")?;
    s.output(show(x.step()))?;
    s.note(
        "Python's send hands back the Future; Rust's Pending is bare, so the step reports its id",
    )?;
    s.input("q", "q")?;
    s.output(format!("{q:?}"))?;
    s.input("q.done()", "q.done()")?;
    s.output(q.done())?;
    s.input("x.woken()", "")?;
    s.output(x.woken())?;
    s.input(
        r#"q.set_result(BTreeMap::from([("a", 1)]))"#,
        "q.set_result({'a': 1})",
    )?;
    s.output(format!("{:?}", q.set_result(BTreeMap::from([("a", 1)]))))?;
    s.input("q.done()", "q.done()")?;
    s.output(q.done())?;
    s.input("q", "q")?;
    s.output(format!("{q:?}"))?;
    s.note("completing the Promise woke the coroutine's waker: an executor would poll it now")?;
    s.input("x.woken()", "")?;
    s.output(x.woken())?;
    s.input("x.step()", "x.send(None)")?;
    s.output(show(x.step()))?;
    s.input("x.step()", "x.send(None) again")?;
    s.output(show(x.step()))
}

/// Part 2: a hand-written `poll` and an `async fn`, stepped alike.
fn two_coroutines<W: Write>(s: &mut Session<'_, W>) -> io::Result<()> {
    s.heading("2. generator-based (hand-written poll) vs native (async fn), stepped alike")?;
    let (a, b) = (Promise::new(), Promise::new());
    s.input("let (a, b) = (Promise::new(), Promise::new());", "")?;
    s.input(
        "let mut generator = Stepper::new(AddTwo::new(a.clone(), b.clone()));",
        "@types.coroutine def add_two(): ...",
    )?;
    let mut generator = Stepper::new(AddTwo::new(a.clone(), b.clone()));
    s.input(
        "let mut native = Stepper::new(add_two(a.clone(), b.clone()));",
        "async def add_two(): ...",
    )?;
    let mut native = Stepper::new(add_two(a.clone(), b.clone()));
    s.input("(generator.step(), native.step())", "")?;
    s.output(pair(generator.step(), native.step()))?;
    s.input("a.set_result(40)", "a.set_result(40)")?;
    s.output(format!("{:?}", a.set_result(40)))?;
    s.input("(generator.woken(), native.woken())", "")?;
    s.output(format!("({}, {})", generator.woken(), native.woken()))?;
    s.input("(generator.step(), native.step())", "")?;
    s.output(pair(generator.step(), native.step()))?;
    s.input("b.set_result(2)", "b.set_result(2)")?;
    s.output(format!("{:?}", b.set_result(2)))?;
    s.input("(generator.step(), native.step())", "")?;
    s.output(pair(generator.step(), native.step()))?;
    s.note("same steps, same reports, same result: to an executor both are just a Future")
}

fn pair<A: Debug, B: Debug>(a: Step<A>, b: Step<B>) -> String {
    format!("({}, {})", show(a), show(b))
}

/// Part 3: a real sleep, the reactor turned by hand.
fn sleep_by_hand<W: Write>(s: &mut Session<'_, W>, handle: &Handle) -> io::Result<()> {
    const NAP: Duration = Duration::from_millis(50);
    s.heading("3. sleep on a real reactor, the event loop turned by hand")?;
    let reactor: &dyn Reactor = handle.reactor().as_ref();
    s.input(
        "let mut x = Stepper::new(sleep(Duration::from_millis(50)));",
        "no loop",
    )?;
    let mut orphan = Stepper::new(sleep(NAP));
    s.input("x.step()", "")?;
    s.output(show(orphan.step()))?;
    s.note("without a runtime, sleep has no timers to use: an error value, not a panic")?;
    s.input(
        "let mut x = Stepper::with_handle(sleep(Duration::from_millis(50)), handle);",
        "x = asyncio.sleep(0.05)",
    )?;
    let mut x = Stepper::with_handle(sleep(NAP), handle.clone());
    s.input("x.step()", "x.send(None)")?;
    // A deadline is described against the reactor's clock, which may be
    // virtual: only the reactor can say how far away it is.
    let step = x.step();
    s.output(match step.waits_on() {
        Some(what) => format!("Pending: waits on {}", what.at(reactor.now())),
        None => show(step),
    })?;
    s.input("reactor.stats()", "")?;
    s.output(format!("{:?}", reactor.stats()))?;
    s.note("the deadline is in the reactor's timer heap; one park sleeps until the nearest")?;
    s.input(
        "reactor.park(None, true)",
        "the loop: pop the nearest deadline, sleep until it",
    )?;
    let before = reactor.now();
    // One turn is enough on an idle reactor; a spurious early return (an
    // `EINTR`, a stray unpark) just takes another.
    let mut turns = Vec::new();
    while !x.woken() && turns.len() < 10 {
        turns.push(reactor.park(None, true).map_err(io::Error::from)?);
    }
    let waited = reactor.now().saturating_duration_since(before);
    let turns: Vec<String> = turns.iter().map(|t| format!("{t:?}")).collect();
    s.output(format!(
        "{} after {} ms",
        turns.join(", "),
        if waited >= NAP {
            "at least 50"
        } else {
            "FEWER than 50"
        }
    ))?;
    s.input("x.woken()", "")?;
    s.output(x.woken())?;
    s.input("x.step()", "x.send(None): StopIteration")?;
    s.output(show(x.step()))
}
