//! Task dumps of protocol tasks hosted by smol.

use std::sync::Arc;

use async_executor::Executor;
use baton_host_smol::SmolHost;
use baton_protocol::dump::TaskState;
use baton_protocol::task::{self, Builder, TaskId, yield_now};
use baton_protocol::{Promise, Reactor};
use baton_reactor_epoll::EpollReactor;

#[test]
fn dumps_on_smol() {
    let ex = Arc::new(Executor::new());
    let reactor: Arc<dyn Reactor> = Arc::new(EpollReactor::new().expect("epoll"));
    let host = SmolHost::start(&ex, reactor).expect("host");
    host.block_on(&ex, dump_shows_waits_and_parents());
    host.stop();
    let after = host.handle().dump().expect("a dump after the stop");
    assert!(after.shutting_down, "{after}");
}

/// What the dump of a host shows: a named task waiting on a Promise, the
/// child it spawned waiting on another, and nothing of a finished task.
async fn dump_shows_waits_and_parents() {
    let gate = Promise::<()>::new();
    let child_id = Promise::new();
    let parent = {
        let (gate, child_id) = (gate.clone(), child_id.clone());
        Builder::new()
            .name("parent")
            .spawn(async move {
                let child = Builder::new()
                    .name("child")
                    .spawn(gate.into_future())
                    .expect("spawned");
                child_id.set_result(child.id()).expect("once");
                child.await
            })
            .expect("spawned")
    };
    let done = baton_protocol::spawn(async {}).expect("spawned");
    let done_id = done.id();
    done.await.expect("ran");
    let child: TaskId = (&child_id).await.expect("the child's id");
    let dump = loop {
        let dump = task::dump().expect("a dump");
        let waiting = |id| {
            dump.task(id)
                .is_some_and(|t| t.state == TaskState::Waiting && t.waits_for.is_some())
        };
        if waiting(child) && waiting(parent.id()) {
            break dump;
        }
        yield_now().await;
    };
    let text = dump.to_string();
    let line = |id| dump.task(id).expect("listed").to_string();
    assert!(
        line(child).starts_with(&format!("{child} (child, spawned at {}:", file!()))
            && line(child).contains(&format!(" by {}) waits for Promise ", parent.id())),
        "{text}"
    );
    assert!(
        line(parent.id()).contains(&format!(") waits for {child} to finish [")),
        "{text}"
    );
    assert!(dump.task(done_id).is_none(), "{text}");
    assert!(!dump.timed && !dump.shutting_down, "{text}");
    gate.set_result(()).expect("once");
    parent
        .await
        .expect("joined")
        .expect("child joined")
        .expect("gate");
}
