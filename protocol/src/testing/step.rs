//! `Step`: what one hand-driven poll returned.

use crate::wait::WaitFor;

/// What one [`Stepper::step`](super::Stepper::step) saw.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "a step says whether the future finished"]
pub enum Step<T> {
    /// The future returned its output.
    Ready(T),
    /// The future returned `Pending`.
    Pending {
        /// What the future reported waiting on through
        /// [`wait::report`](crate::wait::report) during this poll (the last
        /// leaf to report), or `None` if nothing reported.
        waits_on: Option<WaitFor>,
    },
    /// The future had already returned its output at an earlier step; it
    /// was not polled again.
    Finished,
}

impl<T> Step<T> {
    /// Whether the future returned its output at this step.
    pub fn is_ready(&self) -> bool {
        matches!(self, Step::Ready(_))
    }

    /// Whether the future returned `Pending` at this step.
    pub fn is_pending(&self) -> bool {
        matches!(self, Step::Pending { .. })
    }

    /// The output, if the future returned it at this step.
    pub fn ready(self) -> Option<T> {
        match self {
            Step::Ready(output) => Some(output),
            Step::Pending { .. } | Step::Finished => None,
        }
    }

    /// What a pending future reported waiting on; `None` for a step that was
    /// not pending or where nothing reported.
    pub fn waits_on(&self) -> Option<WaitFor> {
        match self {
            Step::Pending { waits_on } => *waits_on,
            Step::Ready(_) | Step::Finished => None,
        }
    }
}
