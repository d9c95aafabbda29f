//! The reactor contract, run against `EpollReactor`.

use std::sync::Arc;

use baton_protocol::Reactor;
use baton_reactor_epoll::EpollReactor;

#[path = "suite/mod.rs"]
mod contract;

fn new_reactor() -> Arc<dyn Reactor> {
    Arc::new(EpollReactor::new().unwrap())
}

contract::reactor_contract!(crate::new_reactor);
