//! The idle barrier: `until_idle()` resolves once every task of the runtime
//! is blocked, on every reactor × executor pair.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Waker};

use baton_protocol::task::yield_now;
use baton_protocol::{Error, Promise, Reactor};
use baton_reactor_epoll::EpollReactor;
use baton_testing::IdleProbe;

#[test]
fn until_idle_waits_for_every_task_to_block() {
    baton_testing::each_pair!(|pair| {
        let probe = Arc::new(IdleProbe::new(pair.reactor()?));
        let progress = Arc::new(AtomicUsize::new(0));
        pair.block_on(probe.clone(), async {
            let gate = Promise::<()>::new();
            let mut tasks = Vec::new();
            for _ in 0..6 {
                let (gate, progress) = (gate.clone(), Arc::clone(&progress));
                tasks.push(baton_protocol::spawn(async move {
                    // Busy for a while, then blocked on the gate.
                    for _ in 0..50 {
                        progress.fetch_add(1, Ordering::SeqCst);
                        yield_now().await;
                    }
                    gate.await
                })?);
            }
            probe.until_idle().await?;
            assert_eq!(
                progress.load(Ordering::SeqCst),
                6 * 50,
                "on {}",
                pair.name()
            );
            gate.set_result(())?;
            for task in tasks {
                task.await??;
            }
            Ok::<_, Error>(())
        })?
    });
}

#[test]
fn until_idle_is_not_released_by_a_park_that_found_io() -> Result<(), Error> {
    let probe = IdleProbe::new(EpollReactor::new()?);
    let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    // A fresh socket is writable: the first park finds that event.
    let key = probe.register(
        std::os::fd::AsRawFd::as_raw_fd(&a),
        baton_protocol::Interest::WRITE,
    )?;
    let mut idle = Box::pin(probe.until_idle());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(idle.as_mut().poll(&mut cx).is_pending());
    let turn = probe.park(None, true)?;
    assert_eq!(turn.events, 1);
    assert!(
        idle.as_mut().poll(&mut cx).is_pending(),
        "I/O was ready: not idle"
    );
    // Not idle: an ordinary park, bounded while a barrier waits.
    let turn = probe.park(None, false)?;
    assert!(turn.is_empty(), "{turn:?}");
    assert!(
        idle.as_mut().poll(&mut cx).is_pending(),
        "the runtime was not idle"
    );
    let turn = probe.park(None, true)?;
    assert!(turn.unparked, "the barrier's release ends the turn");
    assert!(matches!(
        idle.as_mut().poll(&mut cx),
        std::task::Poll::Ready(Ok(()))
    ));
    probe.deregister(key)?;
    Ok(())
}

#[test]
fn a_dropped_waiter_is_forgotten() -> Result<(), Error> {
    let probe = IdleProbe::new(EpollReactor::new()?);
    let mut idle = Box::pin(probe.until_idle());
    assert!(
        idle.as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    );
    drop(idle);
    // No waiter: an idle park is an ordinary one (here ended by unpark).
    probe.unpark();
    let turn = probe.park(None, true)?;
    assert!(turn.unparked);
    Ok(())
}
