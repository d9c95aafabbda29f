//! The protocol's traits are object safe: a `Handle` holds them as trait
//! objects. A compile-time check, as futures' `tests/object_safety.rs`.

use baton_protocol::task::{BoxErased, ErasedFuture, RawJoin};
use baton_protocol::{Reactor, Spawn};

fn assert_is_object_safe<T: ?Sized>() {}

#[test]
fn reactor() {
    assert_is_object_safe::<dyn Reactor>();
}

#[test]
fn spawn() {
    assert_is_object_safe::<dyn Spawn>();
}

#[test]
fn raw_join() {
    assert_is_object_safe::<dyn RawJoin<()>>();
    assert_is_object_safe::<dyn RawJoin<String>>();
    assert_is_object_safe::<dyn RawJoin<BoxErased>>();
}

#[test]
fn erased_future() {
    assert_is_object_safe::<dyn ErasedFuture>();
}

#[test]
fn completion() {
    assert_is_object_safe::<dyn baton_protocol::completion::Completion>();
    assert_is_object_safe::<dyn baton_protocol::completion::OwnedBuf>();
}
