//! Small tools the cases share: counting wakers, drop and poll counters,
//! socket pairs, loops that drive a bare reactor, and the machine's share of
//! a lateness ([`Stolen`]).

mod count;
mod drive;
mod io;
pub mod os;
mod sched;

pub use count::{DropCount, PollCount, Tracked, WakeCount, WakeLog};
pub use drive::{eventually, park_until, poll_once, turns_until, wait_ready};
pub use io::{fill, pipe, socketpair, tcp_pair};
pub use sched::Stolen;
