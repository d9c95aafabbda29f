//! `Handle::dump_on_signal`: a signal prints (here: hands over) a dump and
//! the program runs on; a handler the application installed first still
//! runs; an executor without dumps is refused up front.
//!
//! A test binary of its own: the signal goes to the whole process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use baton_executor::{LocalExecutor, Runtime};
use baton_protocol::dump::DumpSignal;
use baton_protocol::task::{BoxErased, RawJoin, SpawnOptions};
use baton_protocol::{Error, Handle, Promise, Spawn};
use signal_hook::consts::SIGUSR1;

/// Hang guard for a dump that never comes.
const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn a_signal_dumps_and_the_program_runs_on() {
    // The application's own handler, installed first: chained, not
    // replaced.
    let app_saw_it = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(SIGUSR1, Arc::clone(&app_saw_it)).unwrap();

    let reactor = baton_reactor_epoll::EpollReactor::new().unwrap();
    let rt = Runtime::builder()
        .reactor(reactor)
        .workers(2)
        .build()
        .unwrap();
    let gate = Promise::<u8>::new();
    let waiter = rt
        .spawn_with(
            SpawnOptions::here().with_name("patient"),
            gate.clone().into_future(),
        )
        .unwrap();
    let (dumps, received) = mpsc::channel();
    let guard = rt
        .handle()
        .dump_on_signal_with(DumpSignal::User1, move |dump| {
            let _ = dumps.send(dump.to_string());
        })
        .unwrap();
    assert_eq!(guard.signal(), DumpSignal::User1);

    for _ in 0..2 {
        signal_hook::low_level::raise(SIGUSR1).unwrap();
        let text = received.recv_timeout(PATIENCE).expect("a dump");
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{} (patient, ", waiter.id()))),
            "{text}"
        );
    }
    assert!(
        app_saw_it.load(Ordering::SeqCst),
        "the application's handler ran"
    );

    // The runtime ran on through both signals.
    gate.set_result(4).unwrap();
    assert_eq!(rt.block_on(waiter).unwrap().unwrap().unwrap(), 4);

    // Dropped: no more dumps, and the signal no longer ends the process
    // (signal-hook keeps its handler, which now only chains).
    drop(guard);
    app_saw_it.store(false, Ordering::SeqCst);
    signal_hook::low_level::raise(SIGUSR1).unwrap();
    assert!(app_saw_it.load(Ordering::SeqCst));
    assert!(matches!(
        received.try_recv(),
        Err(mpsc::TryRecvError::Disconnected)
    ));
}

#[test]
fn the_local_executor_dumps_on_a_signal_too() {
    let reactor = baton_reactor_poll::PollReactor::new().unwrap();
    let ex = LocalExecutor::new(reactor);
    let (dumps, received) = mpsc::channel();
    let guard = ex
        .handle()
        .dump_on_signal_with(DumpSignal::User2, move |dump| {
            let _ = dumps.send(dump.tasks.len());
        })
        .unwrap();
    let task = ex.spawn(async {}).unwrap();
    signal_hook::low_level::raise(signal_hook::consts::SIGUSR2).unwrap();
    // Taken from the signal thread while this thread is outside block_on.
    assert_eq!(received.recv_timeout(PATIENCE).unwrap(), 1);
    ex.block_on(task).unwrap().unwrap();
    drop(guard);
}

/// An executor that keeps no task records.
struct Recordless;

impl Spawn for Recordless {
    fn spawn_erased(
        &self,
        future: BoxErased,
        _: SpawnOptions,
    ) -> Result<Box<dyn RawJoin<BoxErased>>, Error> {
        drop(future);
        Err(Error::Shutdown)
    }

    fn alive_tasks(&self) -> usize {
        0
    }
}

#[test]
fn an_executor_without_dumps_is_refused_up_front() {
    let reactor = Arc::new(baton_reactor_epoll::EpollReactor::new().unwrap());
    let handle = Handle::new(reactor, Arc::new(Recordless));
    assert!(matches!(handle.dump(), Err(Error::Unsupported(_))));
    assert!(matches!(
        handle.dump_on_signal(DumpSignal::Quit),
        Err(Error::Unsupported(_))
    ));
    let _enter = handle.enter();
    assert!(matches!(
        baton_protocol::task::dump(),
        Err(Error::Unsupported(_))
    ));
}
