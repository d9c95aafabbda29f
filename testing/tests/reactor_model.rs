//! The `Reactor` contract, checked against a reference model on random
//! sequences of operations: register, reregister, deregister, close,
//! poll_ready and clear_ready on real socket pairs whose data the sequence
//! writes and reads; timers inserted, reset, cancelled and polled; park,
//! unpark (from this thread and another), shutdown. Every reactor, bare and
//! under each decorator. See `model/mod.rs` for the pieces and for how to
//! replay a failure; `cargo xtask fuzz-model --cases N` runs it longer.

mod model;

use baton_reactor_epoll::EpollReactor;
use baton_reactor_poll::PollReactor;

use model::subject::Wrap;

#[test]
fn epoll() {
    model::check("epoll", EpollReactor::new, Wrap::None);
}

#[test]
fn poll() {
    model::check("poll", PollReactor::new, Wrap::None);
}

#[test]
fn virtual_time_over_epoll() {
    model::check(
        "virtual_time_over_epoll",
        EpollReactor::new,
        Wrap::VirtualTime,
    );
}

#[test]
fn virtual_time_over_poll() {
    model::check(
        "virtual_time_over_poll",
        PollReactor::new,
        Wrap::VirtualTime,
    );
}

#[test]
fn chaos_over_epoll() {
    model::check("chaos_over_epoll", EpollReactor::new, Wrap::Chaos);
}

#[test]
fn chaos_over_poll() {
    model::check("chaos_over_poll", PollReactor::new, Wrap::Chaos);
}
