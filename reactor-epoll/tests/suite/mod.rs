//! The reactor contract as tests, written once and run against every
//! reactor: each crate's `tests/contract.rs` includes this module (by
//! `#[path]`) and calls [`reactor_contract!`] with its own factory.
//!
//! The cases drive `park` directly, with wakers that count, so a failure
//! names the reactor and the case without an executor in between.

#![allow(dead_code, reason = "each test binary uses the helpers it needs")]

pub(crate) mod bad_input;
pub(crate) mod guest;
pub(crate) mod readiness;
pub(crate) mod rearm;
pub(crate) mod registry;
pub(crate) mod shutdown;
pub(crate) mod timers;
pub(crate) mod unpark;
pub(crate) mod util;

/// Instantiates every case for the reactor built by `$new`, a path to a
/// `fn() -> Arc<dyn Reactor>`: one `#[test]` per case, grouped in a module
/// per behaviour (`readiness::writable_initially`, ...).
macro_rules! reactor_contract {
    ($new:path) => {
        $crate::contract::reactor_contract!(@cases $new;
            readiness: writable_initially, readable_after_peer_write, idle_source_no_wake,
                read_write_waiters_independent, no_lost_wakeup_race,
                peer_close_wakes_reader_and_writer, accept_ready_and_drain;
            rearm: partial_read_stays_ready, new_data_after_clear_wakes,
                no_wake_storm_after_clear, clear_with_data_left_no_hang,
                interest_union_preserved, reregister_overrides,
                deregister_suppresses_pending_event, register_after_deregister,
                several_waiters_all_woken, stale_tick_keeps_newer_readiness;
            timers: never_early, ordering, past_or_zero_fires_next_turn, cancel,
                cancel_many_ahead_of_one, reset_earlier_later_after_fire,
                park_bounded_by_nearest, earlier_deadline_from_other_thread_wakes_park,
                million_pending;
            unpark: unpark_ends_infinite_park, unpark_before_park_and_coalesce,
                unpark_never_lost_racing_park, eintr_is_spurious_turn;
            registry: registry_thread_safe, register_from_other_thread_during_park;
            shutdown: shutdown_wakes_waiters, drop_wakes_waiters, shutdown_ends_park,
                close_fails_waiters;
            bad_input: register_invalid_fd, regular_file_unsupported, double_register,
                unknown_keys, extreme_durations_and_deadlines;
            guest: fd_readable_on_event_and_unpark, wait_reports_deadline_and_earlier_timer_wakes,
                wait_after_shutdown_is_shutdown;
        );
    };
    (@cases $new:path; $($group:ident: $($case:ident),+;)+) => {
        $(
            mod $group {
                $(
                    #[test]
                    fn $case() {
                        crate::contract::$group::$case($new)
                    }
                )+
            }
        )+
    };
}

pub(crate) use reactor_contract;
