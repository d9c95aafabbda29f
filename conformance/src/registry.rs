//! Every case of the suite, in report order, with their ids checked.

use std::collections::HashSet;

use crate::case::Case;
use crate::cases;

/// Why [`Suite::case`](crate::Suite::case) refused a case.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    /// A case with this id is already in the suite (built in, or added
    /// before): ids name cells in reports and must be unique. Rename yours.
    #[error("duplicate case id {0:?}: the suite already has a case with this id")]
    Duplicate(&'static str),
    /// The id is not `category.name` in lowercase ASCII, digits and `_`.
    #[error("malformed case id {0:?}: ids are `category.name`, lowercase ASCII, digits and `_`")]
    Malformed(&'static str),
}

/// Every case, category by category in CONFORMANCE.md's order.
///
/// # Panics
///
/// On a duplicate or malformed id: a bug in the suite itself, caught by this
/// crate's own tests before any release.
pub(crate) fn all() -> Vec<Case> {
    let groups: [&[Case]; 16] = [
        cases::io::CASES,
        cases::rearm::CASES,
        cases::time::CASES,
        cases::wake::CASES,
        cases::task::CASES,
        cases::detached::CASES,
        cases::promise::CASES,
        cases::fair::CASES,
        cases::shut::CASES,
        cases::err::CASES,
        cases::signal::CASES,
        cases::process::CASES,
        cases::blocking::CASES,
        cases::dns::CASES,
        cases::fs::CASES,
        cases::clock::CASES,
    ];
    let all: Vec<Case> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    if let Err(e) = check(&all) {
        panic!("the conformance registry is malformed: {e}");
    }
    all
}

/// Ids must be unique, `category.name`, lowercase with underscores.
fn check(cases: &[Case]) -> Result<(), CaseError> {
    let mut seen = HashSet::new();
    for case in cases {
        check_id(case.id)?;
        if !seen.insert(case.id) {
            return Err(CaseError::Duplicate(case.id));
        }
    }
    Ok(())
}

/// `case` may join `cases`: its id is well formed and not taken.
pub(crate) fn check_new(cases: &[Case], case: &Case) -> Result<(), CaseError> {
    check_id(case.id)?;
    if cases.iter().any(|c| c.id == case.id) {
        return Err(CaseError::Duplicate(case.id));
    }
    Ok(())
}

fn check_id(id: &'static str) -> Result<(), CaseError> {
    let well_formed = id.split_once('.').is_some_and(|(cat, name)| {
        !cat.is_empty()
            && !name.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
    });
    if well_formed {
        Ok(())
    } else {
        Err(CaseError::Malformed(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Case, Outcome};
    use crate::ctx::Ctx;

    fn nothing(_: &Ctx) -> Outcome {
        Ok(())
    }

    /// The ids published in CONFORMANCE.md: each must stay registered under
    /// the same id (ids are stable once published; new cases only add).
    const PUBLISHED: &[&str] = &[
        "io.writable_initially",
        "io.readable_after_peer_write",
        "io.idle_source_no_wake",
        "io.read_write_waiters_independent",
        "io.no_lost_wakeup_race",
        "io.peer_close_wakes_reader_and_writer",
        "io.accept_ready_and_drain",
        "io.connect_refused_surfaces",
        "io.udp_after_icmp_error",
        "io.pipe_eof_and_epipe",
        "rearm.partial_read_stays_ready",
        "rearm.new_data_after_clear_wakes",
        "rearm.no_wake_storm_after_clear",
        "rearm.clear_with_data_left_no_hang",
        "rearm.spurious_wake_tolerated",
        "rearm.interest_union_preserved",
        "rearm.reregister_overrides",
        "rearm.deregister_suppresses_pending_event",
        "rearm.register_after_deregister",
        "rearm.waiter_policy",
        "time.never_early",
        "time.bounded_lateness_idle",
        "time.sub_ms_not_busy",
        "time.ordering",
        "time.past_or_zero_fires_next_turn",
        "time.cancel",
        "time.reset_earlier_later_after_fire",
        "time.earlier_deadline_from_other_thread_wakes_park",
        "time.park_bounded_by_nearest",
        "time.blocking_section",
        "time.timeout_semantics",
        "time.interval_no_drift",
        "time.virtual_autojump",
        "time.virtual_deterministic_trace",
        "wake.unpark_ends_infinite_park",
        "wake.unpark_before_park_and_coalesce",
        "wake.unpark_on_loop_thread_from_timer",
        "wake.foreign_spawn_and_wake",
        "wake.register_from_other_thread_during_park",
        "wake.eintr_is_spurious_turn",
        "wake.registry_thread_safe",
        "wake.concurrent_block_on_callers",
        "task.spawn_join_value",
        "task.handle_drop_and_detach",
        "task.cancel_pending_releases_resources",
        "task.cancel_before_first_poll",
        "task.cancel_while_running_elsewhere",
        "task.cancel_idempotent",
        "task.cancel_runs_destructors_promptly",
        "task.cancel_propagates_down_await_chain",
        "task.panic_isolated",
        "task.panic_in_block_on_root",
        "task.panics_in_drop_and_wake_contained",
        "task.block_on_reentry_rejected",
        "task.group_error_cancels_siblings",
        "task.group_waits_and_closes",
        "task.current_handle",
        "task.detached_waits_on_timer",
        "task.detached_waits_on_socket",
        "task.detached_waits_on_promise",
        "promise.pending_then_result",
        "promise.set_error",
        "promise.cancel",
        "promise.callbacks_scheduled_in_order",
        "promise.callback_on_done_promise",
        "promise.remove_callback_counts",
        "promise.await_twice_and_across_executors",
        "promise.waiter_cancel_semantics",
        "promise.unretrieved_error_reported",
        "promise.drop_frees_callbacks",
        "fair.yield_loop_cannot_starve_io",
        "fair.ping_pong_cannot_starve_third",
        "fair.self_wake_runs_next_tick_and_reactor_polled",
        "fair.always_ready_io_budget",
        "fair.timers_fire_under_load",
        "fair.sleep_zero_yields_to_queued_work",
        "shut.runtime_drop_drops_pending_futures_once",
        "shut.join_after_shutdown",
        "shut.reactor_drop_wakes_io_waiters",
        "shut.owned_source_close_once",
        "shut.deregister_then_close_clean",
        "shut.stop_notifies_all_sources",
        "shut.close_idempotent_and_ops_after_close_error",
        "err.register_invalid_fd",
        "err.double_register",
        "err.deregister_or_modify_unknown",
        "err.failed_modify_cleans_up",
        "err.regular_file_policy",
        "err.close_source_fails_waiters",
        "err.no_panic_fuzz",
    ];

    #[test]
    fn every_published_case_is_registered() {
        let all = all();
        for id in PUBLISHED {
            assert!(
                all.iter().any(|c| c.id == *id),
                "published case {id} is missing"
            );
        }
    }

    #[test]
    fn duplicates_and_bad_ids_are_rejected() {
        let a = crate::case::case!("io.same", "a", [], nothing);
        assert_eq!(check(&[a, a]), Err(CaseError::Duplicate("io.same")));
        let bad: Case = crate::case::case!("NoDot", "b", [], nothing);
        assert_eq!(check(&[bad]), Err(CaseError::Malformed("NoDot")));
        assert_eq!(check_new(&[a], &a), Err(CaseError::Duplicate("io.same")));
        assert_eq!(check_new(&[a], &bad), Err(CaseError::Malformed("NoDot")));
    }
}
