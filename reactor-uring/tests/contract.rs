//! The reactor contract, run against `UringReactor`. The cases are shared
//! with baton-reactor-epoll: written once, in its `tests/suite/`.

use std::sync::Arc;

use baton_protocol::Reactor;
use baton_reactor_uring::UringReactor;

#[path = "../../reactor-epoll/tests/suite/mod.rs"]
mod contract;

fn new_reactor() -> Arc<dyn Reactor> {
    Arc::new(UringReactor::new().unwrap())
}

contract::reactor_contract!(crate::new_reactor);
