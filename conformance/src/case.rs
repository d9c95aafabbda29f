//! A conformance case: a stable id, what it needs, and a body.

use std::fmt;
use std::time::Duration;

use crate::ctx::Ctx;
use crate::spec::Need;

/// Why a case failed: a message, with the source location of the check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    message: String,
}

impl Failure {
    /// A failure with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<baton_protocol::Error> for Failure {
    fn from(e: baton_protocol::Error) -> Self {
        Failure::new(format!("unexpected error: {e}"))
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::new(format!("unexpected I/O error: {e}"))
    }
}

/// What a case body returns.
pub type Outcome = Result<(), Failure>;

/// One conformance case.
#[derive(Clone, Copy)]
pub struct Case {
    /// The stable id, `category.name`.
    pub id: &'static str,
    /// One line saying what the case pins down.
    pub summary: &'static str,
    /// What a pair must provide to run it.
    pub needs: &'static [Need],
    /// How long the case may run before the watchdog calls it hung.
    pub watchdog: Duration,
    /// The body.
    pub body: fn(&Ctx) -> Outcome,
}

impl Case {
    /// The watchdog of a case that does not say otherwise.
    pub const DEFAULT_WATCHDOG: Duration = Duration::from_secs(20);

    /// A case of your own, to add to the suite with
    /// [`Suite::case`](crate::Suite::case): `id` is `category.name`
    /// (lowercase ASCII, digits and `_`), `needs` what a pair must provide to
    /// run it, `body` the check. It has no summary and the
    /// [default watchdog](Case::DEFAULT_WATCHDOG) until you give them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use baton_conformance::{Case, Ctx, Need, Outcome, ensure};
    /// use baton_protocol::time::sleep;
    ///
    /// fn ticks(ctx: &Ctx) -> Outcome {
    ///     let reactor = ctx.runtime()?.handle().reactor().clone();
    ///     let before = reactor.now();
    ///     ctx.block_on(sleep(Duration::from_millis(2)))??;
    ///     ensure!(reactor.now() >= before + Duration::from_millis(2));
    ///     Ok(())
    /// }
    ///
    /// const TICKS: Case = Case::new("mine.ticks", &[Need::WallClock], ticks)
    ///     .with_summary("my reactor's clock ticks")
    ///     .with_watchdog(Duration::from_secs(5));
    /// assert_eq!(TICKS.category(), "mine");
    /// ```
    pub const fn new(id: &'static str, needs: &'static [Need], body: fn(&Ctx) -> Outcome) -> Case {
        Case {
            id,
            summary: "",
            needs,
            watchdog: Case::DEFAULT_WATCHDOG,
            body,
        }
    }

    /// The case with this one-line summary, shown by `--list` and in reports.
    pub const fn with_summary(mut self, summary: &'static str) -> Case {
        self.summary = summary;
        self
    }

    /// The case with this watchdog: past it, the case counts as hung.
    pub const fn with_watchdog(mut self, watchdog: Duration) -> Case {
        self.watchdog = watchdog;
        self
    }

    /// The category: the id up to its first dot.
    pub fn category(&self) -> &'static str {
        self.id.split_once('.').map_or(self.id, |(c, _)| c)
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("id", &self.id)
            .field("needs", &self.needs)
            .finish_non_exhaustive()
    }
}

/// Declares a case: `case!(id, summary, needs, body)` or with a watchdog,
/// `case!(id, summary, needs, watchdog = secs, body)`.
macro_rules! case {
    ($id:literal, $summary:literal, [$($need:ident),*], $body:path) => {
        $crate::case::Case {
            id: $id,
            summary: $summary,
            needs: &[$($crate::spec::Need::$need),*],
            watchdog: $crate::case::Case::DEFAULT_WATCHDOG,
            body: $body,
        }
    };
    ($id:literal, $summary:literal, [$($need:ident),*], watchdog = $secs:literal, $body:path) => {
        $crate::case::Case {
            id: $id,
            summary: $summary,
            needs: &[$($crate::spec::Need::$need),*],
            watchdog: std::time::Duration::from_secs($secs),
            body: $body,
        }
    };
}
pub(crate) use case;

/// Fails the case unless `cond` holds: `ensure!(cond, "format", args..)`.
#[macro_export]
macro_rules! ensure {
    ($cond:expr $(,)?) => {
        if !$cond {
            return Err($crate::Failure::new(format!(
                "{}:{}: check failed: {}",
                file!(),
                line!(),
                stringify!($cond)
            )));
        }
    };
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::Failure::new(format!(
                "{}:{}: {}",
                file!(),
                line!(),
                format_args!($($fmt)+)
            )));
        }
    };
}

/// Fails the case unless the two values are equal, showing both.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (l, r) => {
                if l != r {
                    return Err($crate::Failure::new(format!(
                        "{}:{}: {} == {} failed: left {:?}, right {:?}",
                        file!(),
                        line!(),
                        stringify!($left),
                        stringify!($right),
                        l,
                        r
                    )));
                }
            }
        }
    };
    ($left:expr, $right:expr, $($fmt:tt)+) => {
        match (&$left, &$right) {
            (l, r) => {
                if l != r {
                    return Err($crate::Failure::new(format!(
                        "{}:{}: {} (left {:?}, right {:?})",
                        file!(),
                        line!(),
                        format_args!($($fmt)+),
                        l,
                        r
                    )));
                }
            }
        }
    };
}

/// Fails the case unless the value matches the pattern:
/// `ensure_matches!(expr, pattern)`.
#[macro_export]
macro_rules! ensure_matches {
    ($value:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $value {
            $pattern $(if $guard)? => {}
            ref other => {
                return Err($crate::Failure::new(format!(
                    "{}:{}: expected {} to match {}, got {:?}",
                    file!(),
                    line!(),
                    stringify!($value),
                    stringify!($pattern),
                    other
                )));
            }
        }
    };
}
