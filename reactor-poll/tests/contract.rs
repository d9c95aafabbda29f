//! The reactor contract, run against `PollReactor` (on epoll, or on poll(2)
//! under `--cfg polling_test_poll_backend`). The cases are shared with
//! baton-reactor-epoll: written once, in its `tests/suite/`.

use std::sync::Arc;

use baton_protocol::Reactor;
use baton_reactor_poll::PollReactor;

#[path = "../../reactor-epoll/tests/suite/mod.rs"]
mod contract;

fn new_reactor() -> Arc<dyn Reactor> {
    Arc::new(PollReactor::new().unwrap())
}

contract::reactor_contract!(crate::new_reactor);
