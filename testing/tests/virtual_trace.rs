//! `time.virtual_deterministic_trace`: the same timer-heavy program under
//! `VirtualTime` gives a byte-identical timestamp trace on every run, every
//! reactor and every executor.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton_protocol::time::{interval, sleep, sleep_until, timeout};
use baton_protocol::{Error, Handle};
use baton_testing::VirtualTime;

type Trace = Arc<Mutex<Vec<(Duration, String)>>>;

fn record(trace: &Trace, start: Instant, now: Instant, what: String) {
    trace.lock().unwrap().push((now - start, what));
}

/// Portable code: it knows only the protocol, and measures time as offsets
/// from its own start on the reactor's clock.
async fn program() -> Result<String, Error> {
    let reactor = Arc::clone(Handle::current()?.reactor());
    let start = reactor.now();
    let trace: Trace = Arc::default();
    let mut tasks = Vec::new();
    for k in 0..4u32 {
        let (trace, reactor) = (Arc::clone(&trace), Arc::clone(&reactor));
        tasks.push(baton_protocol::spawn(async move {
            for j in 0..5u32 {
                sleep(Duration::from_millis(37) * (k + 1) + Duration::from_micros(13) * j).await?;
                record(
                    &trace,
                    start,
                    reactor.now(),
                    format!("sleeper {k} step {j}"),
                );
            }
            Ok::<_, Error>(())
        })?);
    }
    {
        let trace = Arc::clone(&trace);
        tasks.push(baton_protocol::spawn(async move {
            let mut ticks = interval(Duration::from_millis(250))?;
            for n in 0..6 {
                let at = ticks.tick().await?;
                record(&trace, start, at, format!("tick {n}"));
            }
            Ok(())
        })?);
    }
    {
        let (trace, reactor) = (Arc::clone(&trace), Arc::clone(&reactor));
        tasks.push(baton_protocol::spawn(async move {
            let slow = timeout(Duration::from_millis(500), sleep(Duration::from_secs(2))).await;
            record(&trace, start, reactor.now(), format!("slow: {slow:?}"));
            let quick = timeout(Duration::from_secs(3), sleep(Duration::from_secs(1))).await;
            record(&trace, start, reactor.now(), format!("quick: {quick:?}"));
            sleep_until(start + Duration::from_millis(7777)).await?;
            record(&trace, start, reactor.now(), "until 7.777 s".to_string());
            Ok(())
        })?);
    }
    for task in tasks {
        task.await??;
    }
    let mut trace = trace.lock().unwrap().clone();
    trace.sort();
    Ok(trace
        .iter()
        .map(|(offset, what)| format!("{:>12} ns {what}\n", offset.as_nanos()))
        .collect())
}

#[test]
fn same_trace_on_every_run_reactor_and_executor() {
    let traces = Mutex::new(Vec::new());
    baton_testing::each_pair!(|pair| {
        for _run in 0..2 {
            let vt = Arc::new(VirtualTime::new(pair.reactor()?));
            let trace = pair.block_on(vt.clone(), program())??;
            traces.lock().unwrap().push((pair.name(), trace));
        }
        Ok(())
    });
    let traces = traces.into_inner().unwrap();
    assert_eq!(traces.len(), 8);
    let (first_pair, first) = &traces[0];
    for (pair, trace) in &traces[1..] {
        assert_eq!(trace, first, "{pair} differs from {first_pair}");
    }
    // The trace is the program's own arithmetic, to the nanosecond.
    assert_eq!(first.lines().count(), 4 * 5 + 6 + 3);
    assert!(
        first.contains("\n   592078000 ns sleeper 3 step 3\n"),
        "{first}"
    );
    assert!(
        first.contains("\n   500000000 ns slow: Err(Elapsed)\n"),
        "{first}"
    );
    assert!(
        first.contains("\n  1500000000 ns quick: Ok(Ok(()))\n"),
        "{first}"
    );
    assert!(first.contains("\n  1250000000 ns tick 5\n"), "{first}");
    assert!(
        first.ends_with("  7777000000 ns until 7.777 s\n"),
        "{first}"
    );
}
