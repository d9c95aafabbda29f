//! The auto traits the public types promise, checked at compile time.

use baton_executor::{
    Builder, Dump, JoinHandle, LocalBuilder, LostWaker, Metrics, Runtime, TaskDump, TaskState,
};

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn public_types_are_send_and_sync_as_documented() {
    send_sync::<Runtime>();
    send_sync::<JoinHandle<u32>>();
    send_sync::<Metrics>();
    send_sync::<Dump>();
    send_sync::<TaskDump>();
    send_sync::<TaskState>();
    send_sync::<LostWaker>();
    send::<Builder>();
    send::<LocalBuilder>();
    // A local task's handle is Send when its output is, whatever the future.
    send::<JoinHandle<String>>();
}
