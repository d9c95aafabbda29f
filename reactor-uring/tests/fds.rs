//! File-descriptor hygiene of `UringReactor`, in a binary of its own.

use std::sync::Arc;

use baton_protocol::Reactor;
use baton_reactor_uring::UringReactor;

#[path = "../../reactor-epoll/tests/suite/fds.rs"]
mod fds;
#[path = "../../reactor-epoll/tests/suite/util.rs"]
#[allow(dead_code, reason = "this binary uses a few of the helpers")]
mod util;

fn new_reactor() -> Arc<dyn Reactor> {
    Arc::new(UringReactor::new().unwrap())
}

#[test]
fn no_fd_leak() {
    fds::no_fd_leak(new_reactor);
}

#[test]
fn register_closed_fd() {
    fds::register_closed_fd(new_reactor);
}

#[test]
fn closed_under_waiter_others_unaffected() {
    fds::closed_under_waiter_others_unaffected(new_reactor);
}

#[test]
fn closed_fd_number_reused() {
    fds::closed_fd_number_reused(new_reactor);
}
