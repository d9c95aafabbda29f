//! Task dumps of known situations, on both executors and both reactors:
//! the text says what each task waits on, in words that cannot be misread;
//! and dumps taken at awkward moments neither deadlock nor panic.

mod util;

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use baton_executor::{Dump, TaskDump, TaskState};
use baton_protocol::dump::WakerKept;
use baton_protocol::io::Async;
use baton_protocol::task::{self, Builder, SpawnOptions, TaskId, yield_now};
use baton_protocol::time::sleep;
use baton_protocol::wait::WaitFor;
use baton_protocol::{Handle, Promise};
use util::{Case, Ex, Options};

matrix!(
    socket_read_names_fd_and_parent,
    timer_says_when_it_fires,
    promise_wait,
    channel_wait_reports_no_wait_usefully,
    deadlocked_pair_is_named,
    polls_are_counted_and_timed,
    a_task_dumps_itself,
    blocking_job_runs_for,
    many_identical_waits_are_grouped,
    dump_during_shutdown,
    dumps_from_two_threads_at_once,
);

flavor_matrix!(Local: overdue_timer_says_the_runtime_is_behind);

/// The executor with what dumps read switched on explicitly, whatever the
/// build profile.
fn ex(case: Case) -> Ex {
    case.ex_with(Options {
        lost_waker_check: Some(true),
        poll_timing: Some(true),
        ..Options::default()
    })
}

/// Lets the runtime run until `done` holds of a dump taken through its
/// handle, and returns that dump.
fn settle(ex: &Ex, done: impl Fn(&Dump) -> bool) -> Dump {
    ex.block_on(async {
        loop {
            let dump = task::dump().expect("a dump");
            if done(&dump) {
                return dump;
            }
            yield_now().await;
        }
    })
    .expect("block_on")
}

/// The task `id` of `dump`, waiting on something reported.
fn waits(dump: &Dump, id: TaskId) -> bool {
    dump.task(id)
        .is_some_and(|t| t.state == TaskState::Waiting && t.waits_for.is_some())
}

fn line_of(dump: &Dump, id: TaskId) -> String {
    dump.task(id).expect("in the dump").to_string()
}

fn socket_read_names_fd_and_parent(case: Case) {
    let ex = ex(case);
    let (a, b) = util::socketpair();
    let fd = a.as_raw_fd();
    let spawned_at = Arc::new(AtomicU32::new(0));
    let reader_id = Promise::new();
    let acceptor = {
        let (spawned_at, reader_id) = (Arc::clone(&spawned_at), reader_id.clone());
        ex.spawn_with(SpawnOptions::here().with_name("acceptor"), async move {
            spawned_at.store(line!() + 1, Ordering::SeqCst);
            let reader = Builder::new().name("reader").spawn(async move {
                let a = Async::new(a).unwrap();
                let mut buf = [0u8; 1];
                util::read_exact(&a, &mut buf).await.unwrap();
                buf[0]
            })?;
            reader_id.set_result(reader.id())?;
            reader.await
        })
        .unwrap()
    };
    let reader = ex.block_on(&reader_id).unwrap().unwrap();
    settle(&ex, |d| waits(d, reader) && waits(d, acceptor.id()));

    // From a thread that is neither a worker nor in block_on.
    let handle = ex.handle().clone();
    let dump = thread::spawn(move || handle.dump())
        .join()
        .unwrap()
        .unwrap();
    let line = spawned_at.load(Ordering::SeqCst);
    let expected = format!(
        "{reader} (reader, spawned at {}:{line} by {}) waits for fd {fd} readable [waiting ",
        file!(),
        acceptor.id()
    );
    let text = dump.to_string();
    assert!(line_of(&dump, reader).starts_with(&expected), "{text}");
    assert!(
        line_of(&dump, reader).contains("; polled once, ")
            && line_of(&dump, reader).ends_with(" in polls]"),
        "{text}"
    );
    let acceptor_line = line_of(&dump, acceptor.id());
    assert!(
        acceptor_line.contains(&format!("(acceptor, spawned at {}:", file!()))
            && acceptor_line.contains(&format!(") waits for {reader} to finish [waiting ")),
        "{text}"
    );
    assert_eq!(dump.task(reader).unwrap().parent, Some(acceptor.id()));
    assert_eq!(dump.task(acceptor.id()).unwrap().parent, None);

    let b = thread::spawn(move || {
        use std::io::Write;
        (&b).write_all(&[7]).unwrap();
        b
    });
    assert_eq!(ex.block_on(acceptor).unwrap().unwrap().unwrap(), 7);
    drop(b.join());
}

fn timer_says_when_it_fires(case: Case) {
    let ex = ex(case);
    let sleeper = ex
        .spawn(async { sleep(Duration::from_secs(10)).await })
        .unwrap();
    let dump = settle(&ex, |d| waits(d, sleeper.id()));
    let task = dump.task(sleeper.id()).unwrap();
    let Some(WaitFor::Deadline(at)) = task.waits_for else {
        panic!("{task}");
    };
    // Ten seconds ahead when it was set, so still ahead (reactors may
    // round deadlines up: no upper bound is checked).
    assert!(at > dump.taken_at, "{task}");
    let line = task.to_string();
    assert!(
        line.contains(") waits for a timer that fires in "),
        "{line}"
    );
    assert!(!line.contains("overdue"), "{line}");
    let mut sleeper = sleeper;
    sleeper.abort();
}

/// The only thread of a local executor is held in a poll past a timer's
/// deadline: the reactor cannot fire it, and the dump says the runtime is
/// behind rather than showing a deadline in the past as if it were a hang.
fn overdue_timer_says_the_runtime_is_behind(case: Case) {
    let ex = ex(case);
    let sleeper = ex
        .spawn(async { sleep(Duration::from_millis(1)).await })
        .unwrap();
    let id = sleeper.id();
    let line = ex
        .block_on(async {
            loop {
                let dump = task::dump().unwrap();
                if let Some(WaitFor::Deadline(at)) = dump.task(id).and_then(|t| t.waits_for) {
                    // Hold the thread until the reactor's clock passed the
                    // deadline.
                    let reactor = Handle::current().unwrap().reactor().clone();
                    while reactor.now() <= at {
                        std::hint::spin_loop();
                    }
                    return line_of(&task::dump().unwrap(), id);
                }
                yield_now().await;
            }
        })
        .unwrap();
    assert!(
        line.contains(") waits for a timer overdue by ")
            && line.contains("(the runtime is behind: it is due and has not fired)"),
        "{line}"
    );
    ex.block_on(sleeper).unwrap().unwrap().unwrap();
}

fn promise_wait(case: Case) {
    let ex = ex(case);
    let gate = Promise::<u8>::new();
    let waiter = ex.spawn(gate.clone().into_future()).unwrap();
    let dump = settle(&ex, |d| waits(d, waiter.id()));
    let line = line_of(&dump, waiter.id());
    assert!(
        line.contains(&format!(
            ") waits for Promise {} to be completed [waiting ",
            gate.id()
        )),
        "{line}"
    );
    gate.set_result(3).unwrap();
    assert_eq!(ex.block_on(waiter).unwrap().unwrap().unwrap(), 3);
}

/// async-channel knows nothing of baton: its receive reports no wait. The
/// dump says so, and what is known: the waker was kept (the lost-waker
/// check saw it cloned), or that nobody checked.
fn channel_wait_reports_no_wait_usefully(case: Case) {
    for check in [true, false] {
        let ex = case.ex_with(Options {
            lost_waker_check: Some(check),
            poll_timing: Some(true),
            ..Options::default()
        });
        let (tx, rx) = async_channel::bounded::<u8>(1);
        let receiver = ex
            .spawn_with(SpawnOptions::here().with_name("consumer"), async move {
                rx.recv().await
            })
            .unwrap();
        let id = receiver.id();
        let dump = settle(&ex, |d| {
            d.task(id)
                .is_some_and(|t| t.state == TaskState::Waiting && t.polls == 1)
        });
        let task = dump.task(id).unwrap();
        assert_eq!(task.waits_for, None);
        let line = task.to_string();
        assert!(
            line.contains(
                "(consumer, spawned at executor/tests/dump.rs:"
            ) && line.contains(
                ") waits on something that reports no wait to baton (not a baton socket, timer, \
                 Promise or task: a channel or lock from another crate, say)"
            ),
            "{line}"
        );
        if check {
            assert_eq!(task.waker_kept, WakerKept::Yes);
            assert!(
                line.contains("; its waker was kept, so a wake can still come [waiting "),
                "{line}"
            );
        } else {
            assert_eq!(task.waker_kept, WakerKept::Unknown);
            assert!(line.contains("(the lost-waker check is off)"), "{line}");
        }
        ex.block_on(tx.send(9)).unwrap().unwrap();
        assert_eq!(ex.block_on(receiver).unwrap().unwrap().unwrap(), 9);
    }
}

/// Two tasks each awaiting the other's join handle: the dump names both,
/// what each waits on, and the cycle.
fn deadlocked_pair_is_named(case: Case) {
    let ex = ex(case);
    let slot = Arc::new(Mutex::new(None::<baton_executor::JoinHandle<()>>));
    let ready = Promise::<()>::new();
    let right = {
        let (slot, ready) = (Arc::clone(&slot), ready.clone());
        ex.spawn_with(SpawnOptions::here().with_name("right"), async move {
            ready.await.unwrap();
            let left = slot.lock().unwrap().take().unwrap();
            let _ = left.await;
        })
        .unwrap()
    };
    let right_id = right.id();
    let left = ex
        .spawn_with(SpawnOptions::here().with_name("left"), async move {
            let _ = right.await;
        })
        .unwrap();
    let left_id = left.id();
    *slot.lock().unwrap() = Some(left);
    ready.set_result(()).unwrap();
    let dump = settle(&ex, |d| {
        // Waiting, not woken (a spurious wake is allowed): a runnable task
        // is in no cycle.
        d.task(right_id).is_some_and(|t| {
            t.state == TaskState::Waiting && t.waits_for == Some(WaitFor::Task(left_id))
        }) && waits(d, left_id)
    });
    let text = dump.to_string();
    assert!(
        line_of(&dump, right_id).contains(&format!("(right, spawned at {}:", file!()))
            && line_of(&dump, right_id).contains(&format!(") waits for {left_id} to finish [")),
        "{text}"
    );
    assert!(
        line_of(&dump, left_id).contains(&format!(") waits for {right_id} to finish [")),
        "{text}"
    );
    assert_eq!(dump.wait_cycles(), vec![vec![right_id, left_id]]);
    let deadlock = format!(
        "deadlock: {right_id} (right) waits for {left_id} (left), which waits for {right_id} \
         to finish: none of them can"
    );
    assert!(text.lines().any(|l| l == deadlock), "{text}");
    // Shutdown (dropping the executor) drops both.
}

fn polls_are_counted_and_timed(case: Case) {
    let ex = ex(case);
    let gate = Promise::<()>::new();
    let yielder = {
        let gate = gate.clone();
        ex.spawn(async move {
            for _ in 0..5 {
                yield_now().await;
            }
            gate.await
        })
        .unwrap()
    };
    let dump = settle(&ex, |d| waits(d, yielder.id()));
    let task = dump.task(yielder.id()).unwrap();
    // Five yields and the Promise: six polls returned Pending.
    assert_eq!(task.polls, 6, "{task}");
    assert!(task.poll_time.is_some_and(|t| t > Duration::ZERO), "{task}");
    assert!(task.since.is_some(), "{task}");
    assert!(task.to_string().contains("; polled 6 times, "), "{task}");
    assert!(dump.timed);
    gate.set_result(()).unwrap();
    ex.block_on(yielder).unwrap().unwrap().unwrap();

    // Without poll timing: counts, no durations, and the header says so.
    let untimed = case.ex_with(Options {
        poll_timing: Some(false),
        ..Options::default()
    });
    let gate = Promise::<()>::new();
    let waiter = untimed.spawn(gate.clone().into_future()).unwrap();
    let dump = settle(&untimed, |d| waits(d, waiter.id()));
    let task = dump.task(waiter.id()).unwrap();
    assert_eq!((task.polls, task.poll_time, task.since), (1, None, None));
    assert!(
        dump.to_string()
            .lines()
            .next()
            .unwrap()
            .ends_with("; durations not measured (the executor's poll timing is off)"),
        "{dump}"
    );
    gate.set_result(()).unwrap();
    untimed.block_on(waiter).unwrap().unwrap().unwrap();

    // A first pending poll with nothing to report is counted without a
    // cold record; the ones after it are counted in the record, and the
    // total is the same.
    let parked = untimed.spawn(std::future::pending::<()>()).unwrap();
    let dump = settle(&untimed, |d| {
        d.task(parked.id())
            .is_some_and(|t| t.state == TaskState::Waiting)
    });
    let task = dump.task(parked.id()).unwrap();
    assert_eq!((task.polls, task.waits_for), (1, None), "{task}");
    let gate = Promise::<()>::new();
    let yielder = {
        let gate = gate.clone();
        untimed
            .spawn(async move {
                for _ in 0..3 {
                    yield_now().await;
                }
                gate.await
            })
            .unwrap()
    };
    let dump = settle(&untimed, |d| waits(d, yielder.id()));
    assert_eq!(
        dump.task(yielder.id()).unwrap().polls,
        4,
        "three yields and the Promise"
    );
    gate.set_result(()).unwrap();
    untimed.block_on(yielder).unwrap().unwrap().unwrap();
}

/// A task that takes a dump sees itself running, in its first poll.
fn a_task_dumps_itself(case: Case) {
    let ex = ex(case);
    let me = ex
        .spawn_with(SpawnOptions::here().with_name("self-dumper"), async {
            task::dump().map(|d| d.to_string())
        })
        .unwrap();
    let id = me.id();
    let text = ex.block_on(me).unwrap().unwrap().unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{id} (self-dumper")))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(") is running [in this poll for ") && line.ends_with("; its first poll]"),
        "{line}"
    );
}

fn blocking_job_runs_for(case: Case) {
    let ex = ex(case);
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = std::sync::mpsc::channel::<()>();
    let job = ex
        .spawn_blocking(move || {
            started_tx.send(()).unwrap();
            wait.recv().unwrap();
        })
        .unwrap();
    started.recv().unwrap();
    let dump = ex.dump();
    let line = line_of(&dump, job.id());
    assert!(
        line.contains("(blocking job, spawned at ")
            && line.contains(") is running [in this poll for "),
        "{line}"
    );
    release.send(()).unwrap();
    ex.block_on(job).unwrap().unwrap();
}

fn many_identical_waits_are_grouped(case: Case) {
    let ex = ex(case);
    let gate = Promise::<()>::new();
    let waiters: Vec<_> = (0..30)
        .map(|_| ex.spawn(gate.clone().into_future()).unwrap())
        .collect();
    let ids: Vec<TaskId> = waiters.iter().map(|w| w.id()).collect();
    let dump = settle(&ex, |d| ids.iter().all(|&id| waits(d, id)));
    let line = dump.task(ids[0]).unwrap().location.line();
    let text = dump.to_string();
    let summary = format!(
        "30 tasks spawned at {}:{line} wait for Promises to be completed: {}, {}, {}, … {} [waiting ",
        file!(),
        ids[0],
        ids[1],
        ids[2],
        ids[29]
    );
    assert!(text.lines().any(|l| l.starts_with(&summary)), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert_eq!(format!("{dump:#}").lines().count(), 31);
    gate.set_result(()).unwrap();
    ex.block_on(async {
        for waiter in waiters {
            waiter.await.unwrap().unwrap();
        }
    })
    .unwrap();
}

/// Takes a dump when dropped, through a handle of the runtime.
struct DumpOnDrop {
    handle: Handle,
    into: Arc<Mutex<Option<Dump>>>,
}

impl Drop for DumpOnDrop {
    fn drop(&mut self) {
        *self.into.lock().unwrap() = Some(self.handle.dump().unwrap());
    }
}

/// Dumps taken while shutdown drops the tasks (from a task's destructor,
/// and from another thread all along) and after it: no deadlock, no panic,
/// and the dump says the runtime is shutting down.
fn dump_during_shutdown(case: Case) {
    let ex = ex(case);
    let handle = ex.handle().clone();
    let from_drop = Arc::new(Mutex::new(None));
    let gate = Promise::<()>::new();
    let mut ids = Vec::new();
    for _ in 0..20 {
        let guard = DumpOnDrop {
            handle: handle.clone(),
            into: Arc::clone(&from_drop),
        };
        let gate = gate.clone();
        let task = ex
            .spawn_with(SpawnOptions::here().with_name("doomed"), async move {
                let _guard = guard;
                gate.await
            })
            .unwrap();
        ids.push(task.id());
    }
    settle(&ex, |d| ids.iter().all(|&id| waits(d, id)));
    let stop = Arc::new(AtomicBool::new(false));
    let (dumping, first_dump) = std::sync::mpsc::channel();
    let watcher = {
        let (handle, stop) = (handle.clone(), Arc::clone(&stop));
        thread::spawn(move || {
            let mut dumps = 0;
            while !stop.load(Ordering::SeqCst) {
                let dump = handle.dump().unwrap();
                assert!(dump.tasks.len() <= 20);
                dumps += 1;
                let _ = dumping.send(());
            }
            dumps
        })
    };
    // Shutdown starts while the watcher is dumping.
    first_dump.recv().unwrap();
    ex.shutdown();
    stop.store(true, Ordering::SeqCst);
    assert!(watcher.join().unwrap() > 0);
    let during = from_drop
        .lock()
        .unwrap()
        .take()
        .expect("a dump from a destructor");
    assert!(during.shutting_down);
    assert!(
        during
            .to_string()
            .lines()
            .next()
            .unwrap()
            .contains("; the runtime is shutting down: these tasks are being dropped"),
        "{during}"
    );
    let after = handle.dump().unwrap();
    assert!(after.shutting_down && after.tasks.is_empty(), "{after}");
}

/// Two threads dump over and over while tasks come and go: every dump is
/// whole (ordered, no task twice), none blocks the other or the runtime.
fn dumps_from_two_threads_at_once(case: Case) {
    let ex = ex(case);
    let stop = Arc::new(AtomicBool::new(false));
    let dumpers: Vec<_> = (0..2)
        .map(|_| {
            let (handle, stop) = (ex.handle().clone(), Arc::clone(&stop));
            thread::spawn(move || {
                let mut dumps = 0u32;
                while !stop.load(Ordering::SeqCst) || dumps < 10 {
                    let dump = handle.dump().unwrap();
                    let ids: Vec<TaskId> = dump.tasks.iter().map(|t: &TaskDump| t.id).collect();
                    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{dump}");
                    let _ = dump.to_string();
                    dumps += 1;
                }
                dumps
            })
        })
        .collect();
    ex.block_on(async {
        for round in 0..50u64 {
            let tasks: Vec<_> = (0..20)
                .map(|i| {
                    baton_protocol::spawn(async move {
                        yield_now().await;
                        round * i
                    })
                    .unwrap()
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }
    })
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    for dumper in dumpers {
        assert!(dumper.join().unwrap() >= 10);
    }
}
