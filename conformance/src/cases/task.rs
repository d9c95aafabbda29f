//! E. Spawning, joining, cancellation, panics, task groups and the current
//! runtime: one set of semantics on every executor.

use std::future::{Future, pending};
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use baton_protocol::io::Async;
use baton_protocol::task::yield_now;
use baton_protocol::testing::Stepper;
use baton_protocol::{Error, Handle, Interest, Promise, TaskGroup, sleep, timeout};
use futures_lite::AsyncReadExt;

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::spec::Need;
use crate::util::{DropCount, PollCount, WakeCount, eventually, park_until, socketpair};
use crate::{ensure, ensure_eq, ensure_matches};

/// How long a case waits for tasks (possibly on other workers) to reach a
/// state: a hang guard, generous on purpose.
const SETTLE: Duration = Duration::from_secs(10);

pub(crate) const CASES: &[Case] = &[
    case!(
        "task.spawn_join_value",
        "10 000 spawns from block_on and from a task each join with their value",
        [],
        spawn_join_value
    ),
    case!(
        "task.handle_drop_and_detach",
        "dropping or detaching a JoinHandle lets the task run to completion (Decision 2)",
        [],
        handle_drop_and_detach
    ),
    case!(
        "task.cancel_pending_releases_resources",
        "cancelling a task blocked on a read and a timer drops it once and releases its timer; the fd still works",
        [],
        cancel_pending_releases_resources
    ),
    case!(
        "task.cancel_before_first_poll",
        "a task cancelled before it ran is never polled and is dropped exactly once (Decision 3)",
        [],
        cancel_before_first_poll
    ),
    case!(
        "task.cancel_while_running_elsewhere",
        "a cancel during a poll on another worker takes effect after it: no concurrent or double drop",
        [MultiThread],
        cancel_while_running_elsewhere
    ),
    case!(
        "task.cancel_idempotent",
        "a second abort is harmless; cancelling a finished task returns its output",
        [],
        cancel_idempotent
    ),
    case!(
        "task.cancel_runs_destructors_promptly",
        "cancel returns only after the task's locals were dropped",
        [],
        cancel_runs_destructors_promptly
    ),
    case!(
        "task.cancel_propagates_down_await_chain",
        "cancelling an outer task releases the timer, fd and Promise waits of the futures it awaits",
        [],
        cancel_propagates_down_await_chain
    ),
    case!(
        "task.panic_isolated",
        "a panicking task gives Panicked with its message; siblings and new spawns carry on",
        [],
        panic_isolated
    ),
    case!(
        "task.panic_in_block_on_root",
        "a panic in the root future reaches the block_on caller; the runtime still shuts down cleanly",
        [],
        panic_in_block_on_root
    ),
    case!(
        "task.panics_in_drop_and_wake_contained",
        "a Drop that panics on cancel is reported through join; a panicking waker does not stop dispatch",
        [],
        panics_in_drop_and_wake_contained
    ),
    case!(
        "task.block_on_reentry_rejected",
        "block_on from inside the runtime's own task or root is an error, never a deadlock",
        [],
        block_on_reentry_rejected
    ),
    case!(
        "task.group_error_cancels_siblings",
        "the first failing child cancels its siblings and is what the group returns, after all have ended",
        [],
        group_error_cancels_siblings
    ),
    case!(
        "task.group_waits_and_closes",
        "join waits for every child; spawning into a joined or failed group is an error and drops the future",
        [],
        group_waits_and_closes
    ),
    case!(
        "task.current_handle",
        "Handle::current works in every task, even spawned from a foreign thread; outside, NoRuntime",
        [],
        current_handle
    ),
];

fn spawn_join_value(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let handles: Vec<_> = (0..10_000u64)
            .map(|i| baton_protocol::spawn(async move { i * 2 }))
            .collect::<Result<_, _>>()?;
        let mut sum = 0;
        for h in handles {
            sum += h.await?;
        }
        ensure_eq!(
            sum,
            2 * (0..10_000u64).sum::<u64>(),
            "joined values from block_on"
        );
        let from_task = baton_protocol::spawn(async {
            let handles: Vec<_> = (0..10_000u64)
                .map(|i| baton_protocol::spawn(async move { i + 1 }))
                .collect::<Result<_, _>>()?;
            let mut sum = 0;
            for h in handles {
                sum += h.await?;
            }
            Ok::<_, Error>(sum)
        })?;
        ensure_eq!(
            from_task.await??,
            (1..=10_000u64).sum::<u64>(),
            "joined values from a task"
        );
        Ok::<_, Failure>(())
    })?
}

fn handle_drop_and_detach(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        for detach in [false, true] {
            let drops = DropCount::new();
            let done: Promise<u32> = Promise::new();
            let d = done.clone();
            let guard = drops.track(());
            let handle = baton_protocol::spawn(async move {
                let _guard = guard;
                for _ in 0..5 {
                    yield_now().await;
                }
                d.set_result(1)
            })?;
            if detach {
                handle.detach();
            } else {
                drop(handle);
            }
            ensure_eq!(
                (&done).await?,
                1,
                "a detached task did not run to completion"
            );
            eventually(SETTLE, || drops.count() > 0).await;
            ensure_eq!(
                drops.count(),
                1,
                "a detached task's future was not dropped exactly once"
            );
        }
        Ok::<_, Failure>(())
    })?
}

fn cancel_pending_releases_resources(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    let reactor = Arc::clone(rt.reactor());
    let (a, mut b) = socketpair()?;
    rt.block_on(async {
        let a = Arc::new(Async::new(a)?);
        let baseline = reactor.stats();
        let drops = DropCount::new();
        let guard = drops.track(());
        let reader = Arc::clone(&a);
        let mut task = baton_protocol::spawn(async move {
            let _guard = guard;
            let read = async {
                let mut buf = [0u8; 4];
                (&*reader).read(&mut buf).await
            };
            futures_lite::future::or(read, async {
                sleep(Duration::from_secs(10)).await?;
                Ok(0)
            })
            .await
        })?;
        eventually(SETTLE, || reactor.stats().timers > baseline.timers).await;
        ensure_eq!(
            reactor.stats().timers,
            baseline.timers + 1,
            "the task's timer is not pending"
        );
        task.abort();
        ensure_matches!(task.await, Err(Error::Cancelled(_)));
        ensure_eq!(
            drops.count(),
            1,
            "the cancelled future was not dropped exactly once"
        );
        ensure_eq!(
            reactor.stats(),
            baseline,
            "cancelling left a timer or registration behind"
        );

        // A timeout around the same read releases the same way.
        let mut buf = [0u8; 4];
        ensure_matches!(
            timeout(Duration::from_millis(20), (&*a).read(&mut buf)).await,
            Err(Error::Elapsed)
        );
        ensure_eq!(
            reactor.stats(),
            baseline,
            "an elapsed timeout left its timer behind"
        );

        // The fd is fine for the next reader.
        b.write_all(b"ok")?;
        let n = (&*a).read(&mut buf).await?;
        ensure_eq!(&buf[..n], b"ok");
        Ok::<_, Failure>(())
    })?
}

fn cancel_before_first_poll(ctx: &Ctx) -> Outcome {
    // Spawned and aborted from inside a task: on an executor with a single
    // worker (or none besides the caller), nothing can poll the new task
    // before the abort, while the spawning task holds the thread.
    let concurrent = ctx.provides(Need::MultiThread);
    ctx.block_on(async {
        baton_protocol::spawn(async move {
            let drops = DropCount::new();
            let (counted, polls) = PollCount::new(drops.track(Box::pin(pending::<()>())));
            let mut handle = baton_protocol::spawn(counted)?;
            handle.abort();
            ensure_matches!(handle.await, Err(Error::Cancelled(_)));
            ensure_eq!(
                drops.count(),
                1,
                "the cancelled future was not dropped exactly once"
            );
            if !concurrent {
                ensure_eq!(
                    polls.load(Ordering::SeqCst),
                    0,
                    "a task cancelled before its first poll was polled"
                );
            }
            Ok::<_, Failure>(())
        })?
        .await?
    })?
}

/// A future that, on its first poll, signals it is running and spins until
/// told to stop, then stays pending; it checks that it is not dropped while
/// a poll runs.
struct Busy {
    running: Arc<Barrier>,
    aborted: Arc<AtomicBool>,
    dropped: Arc<AtomicBool>,
    overlap: Arc<AtomicBool>,
    polled: bool,
}

impl Future for Busy {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.polled {
            self.polled = true;
            self.running.wait();
            while !self.aborted.load(Ordering::SeqCst) {
                std::hint::spin_loop();
            }
            // The cancel was issued during this poll; the executor must not
            // drop us under our feet.
            thread::sleep(Duration::from_millis(20));
            if self.dropped.load(Ordering::SeqCst) {
                self.overlap.store(true, Ordering::SeqCst);
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.dropped.swap(true, Ordering::SeqCst) {
            self.overlap.store(true, Ordering::SeqCst);
        }
    }
}

fn cancel_while_running_elsewhere(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let running = Arc::new(Barrier::new(2));
        let (aborted, dropped, overlap) = (
            Arc::default(),
            Arc::<AtomicBool>::default(),
            Arc::<AtomicBool>::default(),
        );
        let busy = Busy {
            running: Arc::clone(&running),
            aborted: Arc::clone(&aborted),
            dropped: Arc::clone(&dropped),
            overlap: Arc::clone(&overlap),
            polled: false,
        };
        let mut handle = baton_protocol::spawn(busy)?;
        // The root runs on the block_on thread, not on a worker: blocking it
        // until the task is mid-poll on a worker stalls no one else.
        running.wait();
        handle.abort();
        aborted.store(true, Ordering::SeqCst);
        ensure_matches!(handle.await, Err(Error::Cancelled(_)));
        ensure!(
            dropped.load(Ordering::SeqCst),
            "the cancelled future was never dropped"
        );
        ensure!(
            !overlap.load(Ordering::SeqCst),
            "the future was dropped during its poll, or twice"
        );
        Ok::<_, Failure>(())
    })?
}

fn cancel_idempotent(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let mut forever = baton_protocol::spawn(pending::<()>())?;
        forever.abort();
        forever.abort();
        ensure_matches!(forever.await, Err(Error::Cancelled(_)));
        let quick = baton_protocol::spawn(async { 8 })?;
        ensure!(
            eventually(SETTLE, || quick.is_finished()).await,
            "a trivial task did not finish"
        );
        ensure_eq!(
            quick.cancel().await,
            Some(8),
            "cancelling a finished task lost its output"
        );
        let mut done = baton_protocol::spawn(async { 9 })?;
        ensure!(
            eventually(SETTLE, || done.is_finished()).await,
            "a trivial task did not finish"
        );
        done.abort();
        ensure_matches!(done.await, Ok(9));
        Ok::<_, Failure>(())
    })?
}

fn cancel_runs_destructors_promptly(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let drops = DropCount::new();
        let guard = drops.track(());
        let task = baton_protocol::spawn(async move {
            let _guard = guard;
            pending::<()>().await;
        })?;
        yield_now().await;
        ensure_eq!(task.cancel().await, None);
        ensure_eq!(
            drops.count(),
            1,
            "cancel returned before the task's locals were dropped"
        );
        Ok::<_, Failure>(())
    })?
}

fn cancel_propagates_down_await_chain(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    let reactor = Arc::clone(rt.reactor());
    let (a, _b) = socketpair()?;
    rt.block_on(async {
        let baseline = reactor.stats();
        let promise: Promise<u8> = Promise::new();
        let waiting = promise.clone();
        async fn inner(a: std::os::unix::net::UnixStream, p: Promise<u8>) -> Result<(), Error> {
            let a = Async::new(a)?;
            let mut buf = [0u8; 1];
            let read = async { (&a).read(&mut buf).await.map(|_| ()).map_err(Error::from) };
            let nap = async { sleep(Duration::from_secs(10)).await };
            let wait = async { (&p).await.map(|_| ()) };
            futures_lite::future::or(read, futures_lite::future::or(nap, wait)).await
        }
        let mut outer = baton_protocol::spawn(async move { inner(a, waiting).await })?;
        eventually(SETTLE, || {
            let now = reactor.stats();
            now.timers > baseline.timers && now.registrations > baseline.registrations
        })
        .await;
        ensure!(
            reactor.stats().timers > baseline.timers,
            "the inner timer is not pending"
        );
        ensure!(
            reactor.stats().registrations > baseline.registrations,
            "the inner fd is not registered"
        );
        outer.abort();
        ensure_matches!(outer.await, Err(Error::Cancelled(_)));
        ensure_eq!(
            reactor.stats(),
            baseline,
            "the inner timer or fd outlived the cancelled task"
        );
        ensure!(!promise.done(), "cancelling a waiter completed the Promise");
        promise.set_result(1)?;
        Ok::<_, Failure>(())
    })?
}

fn panic_isolated(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let sibling = baton_protocol::spawn(async {
            for _ in 0..20 {
                yield_now().await;
            }
            3
        })?;
        let boom = baton_protocol::spawn(async {
            yield_now().await;
            panic!("boom in a task");
        })?;
        ensure_matches!(boom.await, Err(Error::Panicked(ref m)) if m.contains("boom in a task"));
        ensure_eq!(sibling.await?, 3, "a sibling of a panicking task failed");
        ensure_eq!(
            baton_protocol::spawn(async { 4 })?.await?,
            4,
            "spawning after a panic failed"
        );
        Ok::<_, Failure>(())
    })?
}

fn panic_in_block_on_root(ctx: &Ctx) -> Outcome {
    let rt = ctx.new_runtime()?;
    let drops = DropCount::new();
    let guard = drops.track(());
    let spawned = rt.handle().spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    })?;
    spawned.detach();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            yield_now().await;
            panic!("root panic");
        })
    }));
    match caught {
        Err(payload) => {
            let text = Error::from_panic(&*payload).to_string();
            ensure!(
                text.contains("root panic"),
                "the root's panic payload was lost: {text}"
            );
        }
        Ok(r) => {
            return Err(Failure::new(format!(
                "a panicking root returned {:?}",
                r.map(|_| ())
            )));
        }
    }
    rt.teardown()?;
    ensure_eq!(
        drops.count(),
        1,
        "a task outlived the runtime after a root panic"
    );
    Ok(())
}

/// A future whose `Drop` panics.
struct PanicOnDrop;

impl Future for PanicOnDrop {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("drop panic");
    }
}

/// A waker whose `wake` panics.
struct PanickyWaker;

impl Wake for PanickyWaker {
    fn wake(self: Arc<Self>) {
        panic!("waker panic");
    }
}

fn panics_in_drop_and_wake_contained(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let mut task = baton_protocol::spawn(PanicOnDrop)?;
        yield_now().await;
        task.abort();
        ensure_matches!(task.await, Err(Error::Panicked(ref m)) if m.contains("drop panic"));
        ensure_eq!(
            baton_protocol::spawn(async { 1 })?.await?,
            1,
            "the executor broke after a Drop panic"
        );
        Ok::<_, Failure>(())
    })??;

    // A panicking waker among the ready sources of one turn.
    let reactor = ctx.reactor()?;
    let (a, mut a_peer) = socketpair()?;
    let (b, mut b_peer) = socketpair()?;
    let ka = reactor.register(std::os::fd::AsRawFd::as_raw_fd(&a), Interest::READ)?;
    let kb = reactor.register(std::os::fd::AsRawFd::as_raw_fd(&b), Interest::READ)?;
    let panicky = Waker::from(Arc::new(PanickyWaker));
    let good = WakeCount::new();
    let gw = good.waker();
    ensure!(
        reactor
            .poll_ready(
                ka,
                baton_protocol::Direction::Read,
                &mut Context::from_waker(&panicky)
            )
            .is_pending()
    );
    ensure!(
        reactor
            .poll_ready(
                kb,
                baton_protocol::Direction::Read,
                &mut Context::from_waker(&gw)
            )
            .is_pending()
    );
    a_peer.write_all(b"a")?;
    b_peer.write_all(b"b")?;
    let mut parked = 0;
    while good.count() == 0 && parked < 100 {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            reactor.park(Some(Duration::from_millis(20)), false)
        }));
        parked += 1;
    }
    ensure!(
        good.count() > 0,
        "a panicking waker stopped the other ready source's wake-up"
    );
    // No poisoned lock: the reactor still works.
    reactor.deregister(ka)?;
    reactor.deregister(kb)?;
    let (c, mut c_peer) = socketpair()?;
    let kc = reactor.register(std::os::fd::AsRawFd::as_raw_fd(&c), Interest::READ)?;
    let later = WakeCount::new();
    let lw = later.waker();
    ensure!(
        reactor
            .poll_ready(
                kc,
                baton_protocol::Direction::Read,
                &mut Context::from_waker(&lw)
            )
            .is_pending()
    );
    c_peer.write_all(b"c")?;
    ensure!(
        park_until(&*reactor, Duration::from_secs(5), || later.count() > 0)?,
        "the reactor broke after a waker panic"
    );
    reactor.deregister(kc)?;
    Ok(())
}

fn block_on_reentry_rejected(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    let from_root = rt.block_on(async { rt.executor().block_on(Box::pin(async {})) })?;
    ensure!(
        from_root.is_err(),
        "block_on inside the root of block_on was allowed"
    );
    // From a spawned task, where the executor can be reached from one.
    if let Some(shared) = rt.executor().shared() {
        let from_task = rt.block_on(async move {
            baton_protocol::spawn(async move { shared.block_on(Box::pin(async {})).is_err() })?
                .await
        })??;
        ensure!(
            from_task,
            "block_on inside a task of the same runtime was allowed"
        );
    }
    Ok(())
}

fn group_error_cancels_siblings(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let group = TaskGroup::new();
        let drops = DropCount::new();
        let guard = drops.track(());
        let slow = group.spawn(async move {
            let _guard = guard;
            sleep(Duration::from_secs(10)).await?;
            Ok(1u32)
        })?;
        let failing = group.spawn(async {
            sleep(Duration::from_millis(5)).await?;
            Err::<u32, _>(Error::custom(std::io::Error::other("child failed")))
        })?;
        let joined = group.join().await;
        ensure!(
            matches!(&joined, Err(Error::Custom(e)) if e.to_string() == "child failed"),
            "the group returned {joined:?}, not the failing child's error"
        );
        ensure_eq!(
            drops.count(),
            1,
            "the group returned before its cancelled child was dropped"
        );
        ensure_matches!(slow.await, Err(Error::Cancelled(_)));
        ensure_matches!(failing.await, Err(Error::Custom(_)));
        Ok::<_, Failure>(())
    })?
}

fn group_waits_and_closes(ctx: &Ctx) -> Outcome {
    ctx.block_on(async {
        let group = TaskGroup::new();
        let finished = Arc::new(AtomicUsize::new(0));
        for ms in [10u64, 20, 30] {
            let f = Arc::clone(&finished);
            group.spawn(async move {
                sleep(Duration::from_millis(ms)).await?;
                f.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })?;
        }
        group.join().await?;
        ensure_eq!(
            finished.load(Ordering::SeqCst),
            3,
            "join returned before every child finished"
        );
        let drops = DropCount::new();
        let guard = drops.track(());
        let rejected = group.spawn(async move {
            let _guard = guard;
            Ok(())
        });
        ensure_matches!(rejected, Err(Error::InvalidState(_)));
        ensure_eq!(drops.count(), 1, "the rejected future was not dropped");

        let failed = TaskGroup::new();
        failed.spawn(async { Err::<(), _>(Error::Elapsed) })?;
        ensure_matches!(failed.join().await, Err(Error::Elapsed));
        ensure_matches!(failed.spawn(async { Ok(()) }), Err(Error::InvalidState(_)));
        Ok::<_, Failure>(())
    })?
}

fn current_handle(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    let handle = rt.handle();
    ensure_matches!(Handle::current(), Err(Error::NoRuntime));
    let mut nap = Stepper::new(sleep(Duration::from_millis(1)));
    ensure_matches!(nap.step().ready(), Some(Err(Error::NoRuntime)));
    let inside = rt.block_on(async {
        let from_root = Handle::current().map(|h| h.same_runtime(&handle));
        let h2 = handle.clone();
        let from_task =
            baton_protocol::spawn(async move { Handle::current().map(|h| h.same_runtime(&h2)) })?
                .await?;
        Ok::<_, Error>((from_root, from_task))
    })??;
    ensure_matches!(inside, (Ok(true), Ok(true)));
    let h2 = handle.clone();
    let foreign = thread::spawn(move || h2.spawn(async move { Handle::current().map(|h| h.id()) }))
        .join()
        .map_err(|_| Failure::new("the foreign spawner panicked"))??;
    let id = rt.block_on(foreign)???;
    ensure_eq!(
        id,
        handle.id(),
        "a task spawned from a foreign thread saw another runtime"
    );
    Ok(())
}
