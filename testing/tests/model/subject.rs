//! The reactors under test: each real reactor as it is, under
//! `VirtualTime`, and under [`Chaos`], with what the contract lets each do.

use std::sync::Arc;
use std::time::Duration;

use baton_protocol::Reactor;
use baton_testing::{Chaos, virtual_time};

/// How a real reactor is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wrap {
    None,
    /// `VirtualTime` that jumps as soon as an idle park finds no I/O, so
    /// timers fire at exact virtual instants without real waiting.
    VirtualTime,
    /// `Chaos` with its default rates, seeded by the case.
    Chaos,
}

/// The freedoms the contract gives a subject, which the model must allow.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Caps {
    /// A new readiness may be reported a turn late (`Chaos`).
    pub(crate) may_delay: bool,
    /// A turn may say `unparked` with no `unpark` from the test (`Chaos`
    /// unparks itself to deliver what it held back).
    pub(crate) spurious_unpark: bool,
    /// A turn may be empty at once, as after `EINTR` (Decision 5), even
    /// with timers due (`Chaos`).
    pub(crate) empty_turns: bool,
    /// The clock is virtual: timers fire exactly when it reaches them, and
    /// it moves only to the next deadline (`VirtualTime`).
    pub(crate) virtual_clock: bool,
}

/// A reactor under test.
pub(crate) struct Subject {
    pub(crate) reactor: Arc<dyn Reactor>,
    /// `VirtualTime::advance`, for virtual-clock subjects.
    pub(crate) advance: Option<Box<dyn Fn(Duration) -> usize>>,
    pub(crate) caps: Caps,
}

/// `inner` wrapped as `wrap` says; `seed` seeds `Chaos`.
pub(crate) fn build<R: Reactor + 'static>(inner: R, wrap: Wrap, seed: u64) -> Subject {
    match wrap {
        Wrap::None => Subject {
            reactor: Arc::new(inner),
            advance: None,
            caps: Caps::default(),
        },
        Wrap::VirtualTime => {
            let vt = Arc::new(
                virtual_time::Builder::new()
                    .autojump_threshold(Duration::ZERO)
                    .build(inner),
            );
            let clock = Arc::clone(&vt);
            Subject {
                reactor: vt,
                advance: Some(Box::new(move |by| {
                    clock
                        .advance(by)
                        .expect("the model advances by at most an hour")
                })),
                caps: Caps {
                    virtual_clock: true,
                    ..Caps::default()
                },
            }
        }
        Wrap::Chaos => Subject {
            reactor: Arc::new(Chaos::new(inner, seed)),
            advance: None,
            caps: Caps {
                may_delay: true,
                spurious_unpark: true,
                empty_turns: true,
                virtual_clock: false,
            },
        },
    }
}
