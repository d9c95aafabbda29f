//! H. Shutdown, drop order and leaks: every future dropped once, every fd
//! closed once, every waiter told.

use std::future::{Future, pending, poll_fn};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use baton_protocol::io::Async;
use baton_protocol::testing::Stepper;
use baton_protocol::{Direction, Error, Interest, sleep};
use futures_lite::AsyncReadExt;

use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::util::{DropCount, PollCount, WakeCount, eventually, park_until, socketpair};
use crate::{ensure, ensure_eq, ensure_matches};

/// How long a case waits for tasks to reach a state: a hang guard.
const SETTLE: Duration = Duration::from_secs(10);

pub(crate) const CASES: &[Case] = &[
    case!(
        "shut.runtime_drop_drops_pending_futures_once",
        "shutting a runtime down drops every pending future exactly once and polls none afterwards",
        [],
        runtime_drop_drops_pending_futures_once
    ),
    case!(
        "shut.join_after_shutdown",
        "handles of tasks cancelled by shutdown give Cancelled; a finished task's output survives once",
        [],
        join_after_shutdown
    ),
    case!(
        "shut.reactor_drop_wakes_io_waiters",
        "reactor shutdown wakes every waiter with Shutdown; later calls fail at once without panics",
        [],
        reactor_drop_wakes_io_waiters
    ),
    case!(
        "shut.owned_source_close_once",
        "dropping an Async deregisters and closes its fd once; into_inner and borrowing wrappers never close",
        [],
        owned_source_close_once
    ),
    case!(
        "shut.deregister_then_close_clean",
        "deregister then an immediate close leaves no noise; the fd number is reusable at once",
        [],
        deregister_then_close_clean
    ),
    case!(
        "shut.stop_notifies_all_sources",
        "shutdown notifies every registered waiter even when one notification panics",
        [],
        stop_notifies_all_sources
    ),
    case!(
        "shut.close_idempotent_and_ops_after_close_error",
        "shutdown is idempotent; afterwards register, timers, spawn and block_on fail; from a task it is refused",
        [],
        close_idempotent_and_ops_after_close_error
    ),
];

fn runtime_drop_drops_pending_futures_once(ctx: &Ctx) -> Outcome {
    let rt = ctx.new_runtime()?;
    let shared = Arc::new(());
    let drops = DropCount::new();
    let late = Arc::new(AtomicUsize::new(0));
    let (a, _b) = socketpair()?;
    let mut polls = Vec::new();
    {
        let handle = rt.handle();
        let (s1, g1) = (Arc::clone(&shared), drops.track(()));
        let (io, p1) = PollCount::new(async move {
            let (_s, _g) = (s1, g1);
            let a = Async::new(a)?;
            let mut buf = [0u8; 1];
            (&a).read(&mut buf).await
        });
        let (s2, g2) = (Arc::clone(&shared), drops.track(()));
        let (timer, p2) = PollCount::new(async move {
            let (_s, _g) = (s2, g2);
            sleep(Duration::from_secs(3600)).await
        });
        let (s3, g3) = (Arc::clone(&shared), drops.track(()));
        let (forever, p3) = PollCount::new(async move {
            let (_s, _g) = (s3, g3);
            pending::<()>().await;
        });
        handle.spawn(late_polls(io, &drops, &late))?.detach();
        handle.spawn(late_polls(timer, &drops, &late))?.detach();
        handle.spawn(late_polls(forever, &drops, &late))?.detach();
        polls.extend([p1, p2, p3]);
    }
    // Let every task reach its wait.
    let reactor = Arc::clone(rt.reactor());
    rt.block_on(eventually(SETTLE, || {
        polls.iter().all(|p| p.load(Ordering::SeqCst) > 0) && reactor.stats().timers > 0
    }))?;
    rt.teardown()?;
    ensure_eq!(
        drops.count(),
        3,
        "pending futures were not dropped exactly once"
    );
    ensure_eq!(
        Arc::strong_count(&shared),
        1,
        "a future still holds its captures after shutdown"
    );
    ensure_eq!(
        late.load(Ordering::SeqCst),
        0,
        "a future was polled after shutdown started (after it dropped another)"
    );
    Ok(())
}

/// `future`, counting into `late` each poll that begins once shutdown has
/// dropped one of the case's futures.
///
/// That drop is the moment shutdown has visibly started. A snapshot of poll
/// counts taken by the case before it calls shutdown is no such moment: on a
/// multi-thread executor a wake already in flight (a Chaos spurious wake-up,
/// say) may rightly run a task once more before shutdown begins, and the
/// case cannot tell that poll from one after.
fn late_polls<F: Future>(
    future: F,
    drops: &Arc<DropCount>,
    late: &Arc<AtomicUsize>,
) -> impl Future<Output = F::Output> + use<F> {
    let (drops, late) = (Arc::clone(drops), Arc::clone(late));
    let mut future = Box::pin(future);
    poll_fn(move |cx| {
        if drops.count() > 0 {
            late.fetch_add(1, Ordering::SeqCst);
        }
        future.as_mut().poll(cx)
    })
}

fn join_after_shutdown(ctx: &Ctx) -> Outcome {
    let rt = ctx.new_runtime()?;
    let output_drops = DropCount::new();
    let out = drops_tracked(&output_drops);
    let finished = rt.handle().spawn(async move { out })?;
    let forever = rt.handle().spawn(pending::<()>())?;
    rt.block_on(eventually(SETTLE, || finished.is_finished()))?;
    ensure!(finished.is_finished(), "a trivial task did not finish");
    rt.executor()
        .shutdown()
        .map_err(|e| Failure::new(format!("shutdown failed: {e}")))?;
    // No runtime is needed to learn how a task ended.
    let mut forever = Stepper::new(forever);
    ensure_matches!(forever.step().ready(), Some(Err(Error::Cancelled(_))));
    let mut finished = Stepper::new(finished);
    let value = finished.step().ready();
    ensure!(
        matches!(value, Some(Ok(_))),
        "a task finished before shutdown lost its output"
    );
    ensure_eq!(output_drops.count(), 0);
    drop(value);
    ensure_eq!(
        output_drops.count(),
        1,
        "the output was not dropped exactly once"
    );
    drop((forever, finished));
    rt.teardown()?;
    ensure_eq!(
        output_drops.count(),
        1,
        "the executor dropped the output a second time"
    );

    // The other order: the runtime goes first, the handle holds the output.
    let rt = ctx.new_runtime()?;
    let output_drops = DropCount::new();
    let out = drops_tracked(&output_drops);
    let finished = rt.handle().spawn(async move { out })?;
    rt.block_on(eventually(SETTLE, || finished.is_finished()))?;
    ensure!(finished.is_finished(), "a trivial task did not finish");
    // Dropped unchecked: the live handle legitimately keeps its task.
    drop(rt);
    ensure_eq!(
        output_drops.count(),
        0,
        "the executor dropped an output its handle still owns"
    );
    drop(finished);
    ensure_eq!(
        output_drops.count(),
        1,
        "dropping the handle did not drop the output once"
    );
    Ok(())
}

fn drops_tracked(counter: &Arc<DropCount>) -> crate::util::Tracked<u32> {
    counter.track(5)
}

fn reactor_drop_wakes_io_waiters(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, _b) = socketpair()?;
    let key = reactor.register(a.as_raw_fd(), Interest::BOTH)?;
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    ensure!(
        reactor
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    let timer_wakes = WakeCount::new();
    let timer = reactor.insert_timer(
        reactor.now() + Duration::from_secs(60),
        &timer_wakes.waker(),
    )?;
    reactor.shutdown();
    ensure_eq!(wakes.count(), 1, "shutdown did not wake the I/O waiter");
    ensure_eq!(timer_wakes.count(), 1, "shutdown did not wake the timer");
    ensure_matches!(
        reactor.poll_ready(key, Direction::Read, &mut Context::from_waker(&waker)),
        Poll::Ready(Err(Error::Shutdown))
    );
    ensure_matches!(
        reactor.poll_timer(timer, &mut Context::from_waker(&waker)),
        Poll::Ready(Err(Error::Shutdown))
    );
    let _ = reactor.clear_ready(
        key,
        Direction::Read,
        baton_protocol::reactor::Tick::from_raw(0),
    );
    ensure!(
        reactor.deregister(key).is_ok(),
        "deregister after shutdown failed"
    );
    reactor.cancel_timer(timer);
    ensure_matches!(
        reactor.park(Some(Duration::ZERO), true),
        Err(Error::Shutdown)
    );
    Ok(())
}

fn owned_source_close_once(ctx: &Ctx) -> Outcome {
    let rt = ctx.runtime()?;
    let reactor = Arc::clone(rt.reactor());
    rt.block_on(async {
        let baseline = reactor.stats().registrations;
        // Owned: drop deregisters and closes.
        let (a, _b) = socketpair()?;
        let fd = a.as_raw_fd();
        let owned = Async::new(a)?;
        ensure_eq!(reactor.stats().registrations, baseline + 1);
        drop(owned);
        ensure_eq!(
            reactor.stats().registrations,
            baseline,
            "drop did not deregister"
        );
        ensure!(
            !fd_is_open(fd) || fd_reused_by_other(fd),
            "drop did not close the fd"
        );

        // into_inner: deregistered, still open.
        let (a, _b) = socketpair()?;
        let fd = a.as_raw_fd();
        let back = Async::new(a)?.into_inner();
        ensure_eq!(
            reactor.stats().registrations,
            baseline,
            "into_inner did not deregister"
        );
        ensure!(fd_is_open(fd), "into_inner closed the fd");
        drop(back);

        // A borrowing wrapper never closes what it borrows.
        let (a, mut b) = socketpair()?;
        {
            let borrowed = Async::new(&a)?;
            ensure_eq!(reactor.stats().registrations, baseline + 1);
            drop(borrowed);
        }
        ensure!(
            fd_is_open(a.as_raw_fd()),
            "a borrowing wrapper closed the fd"
        );
        b.write_all(b"still here")?;
        Ok::<_, Failure>(())
    })?
}

fn fd_is_open(fd: i32) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{fd}")).is_ok()
}

/// Another thread of the harness may have reused the number already; only
/// a socket we know of counts as "still ours".
fn fd_reused_by_other(fd: i32) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map(|p| !p.to_string_lossy().starts_with("socket:"))
        .unwrap_or(false)
}

fn deregister_then_close_clean(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let (a, _b) = socketpair()?;
    let fd = a.as_raw_fd();
    let key = reactor.register(fd, Interest::BOTH)?;
    reactor.deregister(key)?;
    drop(a);
    let turn = reactor.park(Some(Duration::ZERO), false)?;
    ensure_eq!(
        turn.events,
        0,
        "a deregistered, closed fd produced an event"
    );
    // The number comes back for the next socket; it registers cleanly and
    // gets its own events only.
    let (c, mut d) = socketpair()?;
    let key = reactor.register(c.as_raw_fd(), Interest::READ)?;
    let wakes = WakeCount::new();
    let waker = wakes.waker();
    ensure!(
        reactor
            .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    d.write_all(b"x")?;
    ensure!(
        park_until(&*reactor, Duration::from_secs(5), || wakes.count() > 0)?,
        "the next socket got no event"
    );
    reactor.deregister(key)?;
    Ok(())
}

struct PanickyWaker;

impl Wake for PanickyWaker {
    fn wake(self: Arc<Self>) {
        panic!("notification panic");
    }
}

fn stop_notifies_all_sources(ctx: &Ctx) -> Outcome {
    let reactor = ctx.reactor()?;
    let mut keys = Vec::new();
    let mut sockets = Vec::new();
    let counters: Vec<Arc<WakeCount>> = (0..3).map(|_| WakeCount::new()).collect();
    for (i, counter) in counters.iter().enumerate() {
        let (a, b) = socketpair()?;
        let key = reactor.register(a.as_raw_fd(), Interest::READ)?;
        if i == 1 {
            let panicky = Waker::from(Arc::new(PanickyWaker));
            ensure!(
                reactor
                    .poll_ready(key, Direction::Read, &mut Context::from_waker(&panicky))
                    .is_pending()
            );
        }
        let waker = counter.waker();
        ensure!(
            reactor
                .poll_ready(key, Direction::Read, &mut Context::from_waker(&waker))
                .is_pending()
        );
        keys.push(key);
        sockets.push((a, b));
    }
    let _ = catch_unwind(AssertUnwindSafe(|| reactor.shutdown()));
    for (i, c) in counters.iter().enumerate() {
        ensure_eq!(c.count(), 1, "waiter {i} was not notified at shutdown");
    }
    for key in keys {
        let _ = reactor.deregister(key);
    }
    Ok(())
}

fn close_idempotent_and_ops_after_close_error(ctx: &Ctx) -> Outcome {
    // The reactor.
    let reactor = ctx.reactor()?;
    reactor.shutdown();
    reactor.shutdown();
    let (a, _b) = socketpair()?;
    ensure_matches!(
        reactor.register(a.as_raw_fd(), Interest::READ),
        Err(Error::Shutdown)
    );
    ensure_matches!(
        reactor.insert_timer(reactor.now(), &WakeCount::new().waker()),
        Err(Error::Shutdown)
    );
    ensure!(!reactor.cancel_timer(baton_protocol::reactor::TimerKey::from_raw(1)));

    // The runtime: shutting it down from inside its own block_on, or from
    // one of its tasks, is refused, not a deadlock.
    let rt = ctx.new_runtime()?;
    let handle = rt.handle();
    let from_root = rt.block_on(async { rt.executor().shutdown() })?;
    ensure!(
        from_root.is_err(),
        "shutdown from inside block_on was allowed"
    );
    if let Some(shared) = rt.executor().shared() {
        let from_task = rt.block_on(async move {
            baton_protocol::spawn(async move { shared.shutdown().is_err() })?.await
        })??;
        ensure!(
            from_task,
            "shutdown from inside one of the runtime's tasks was allowed"
        );
    }
    rt.executor()
        .shutdown()
        .map_err(|e| Failure::new(format!("shutdown failed: {e}")))?;
    rt.executor()
        .shutdown()
        .map_err(|e| Failure::new(format!("a second shutdown failed: {e}")))?;
    ensure_matches!(handle.spawn(async {}), Err(Error::Shutdown));
    ensure!(
        rt.block_on(async {}).is_err(),
        "block_on after shutdown was allowed"
    );
    rt.teardown()?;
    Ok(())
}
