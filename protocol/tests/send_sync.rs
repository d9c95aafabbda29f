//! Public types are `Send`, `Sync` and `Unpin` as documented, checked at
//! compile time, as tokio's `tests/async_send_sync.rs`.

use std::rc::Rc;

use baton_protocol::promise::{DoneCallback, Wait, WeakPromise};
use baton_protocol::testing::{Step, Stepper};
use baton_protocol::wait::WaitFor;
use baton_protocol::{EnterGuard, Error, Handle, JoinHandle, Promise, TaskGroup};

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

fn send_sync_unpin<T: Send + Sync + Unpin>() {}

/// Compiles only if `T` is **not** `Send`: for a `Send` type both impls
/// apply and the call is ambiguous.
trait AmbiguousIfSend<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
struct IsSend;
impl<T: ?Sized + Send> AmbiguousIfSend<IsSend> for T {}

/// Compiles only if `T` is **not** `Sync`.
trait AmbiguousIfSync<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
struct IsSync;
impl<T: ?Sized + Sync> AmbiguousIfSync<IsSync> for T {}

#[test]
fn promise_types() {
    send_sync_unpin::<Promise<u32>>();
    send_sync_unpin::<Promise<Vec<String>>>();
    send_sync_unpin::<WeakPromise<u32>>();
    send_sync_unpin::<Wait<u32>>();
    // A callback is shareable whatever the Promise's value type.
    send_sync_unpin::<DoneCallback<Rc<u8>>>();
    // A Promise is Send and Sync exactly when its value is Send.
    <Promise<Rc<u8>> as AmbiguousIfSend<_>>::check();
    <Promise<Rc<u8>> as AmbiguousIfSync<_>>::check();
}

#[test]
fn runtime_types() {
    send_sync_unpin::<Handle>();
    send_sync_unpin::<TaskGroup>();
    send_sync_unpin::<Error>();
    send_sync_unpin::<WaitFor>();
    // A JoinHandle moves between threads but is used by one at a time.
    send::<JoinHandle<u32>>();
    unpin::<JoinHandle<u32>>();
    <JoinHandle<u32> as AmbiguousIfSync<_>>::check();
    // The guard of an entered runtime belongs to its thread.
    <EnterGuard as AmbiguousIfSend<_>>::check();
    <EnterGuard as AmbiguousIfSync<_>>::check();
}

#[test]
fn testing_types() {
    send_sync_unpin::<Stepper<Wait<u32>>>();
    send_sync_unpin::<Step<u32>>();
    sync::<Step<Result<u32, Error>>>();
}

#[test]
fn leaf_future_types() {
    use baton_protocol::io::Async;
    use baton_protocol::net::{
        TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
    };
    use baton_protocol::time::{Interval, Sleep, Timeout};

    send_sync_unpin::<Sleep>();
    send_sync_unpin::<Interval>();
    send_sync_unpin::<Timeout<Sleep>>();
    send_sync_unpin::<Timeout<Wait<u32>>>();
    send_sync_unpin::<Async<std::net::TcpStream>>();
    send_sync_unpin::<TcpListener>();
    send_sync_unpin::<TcpStream>();
    send_sync_unpin::<UdpSocket>();
    send_sync_unpin::<UnixListener>();
    send_sync_unpin::<UnixStream>();
    send_sync_unpin::<UnixDatagram>();
}

#[test]
fn signal_and_process_types() {
    use baton_protocol::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
    use baton_protocol::signal::{CtrlC, SignalError, Signals};

    send_sync_unpin::<Signals>();
    send_sync_unpin::<CtrlC>();
    send_sync_unpin::<SignalError>();
    send_sync_unpin::<Command>();
    send_sync_unpin::<Child>();
    send_sync_unpin::<ChildStdin>();
    send_sync_unpin::<ChildStdout>();
    send_sync_unpin::<ChildStderr>();
}

#[test]
fn owned_buffer_types() {
    use baton_protocol::completion::{BufResult, Slice};
    use baton_protocol::io::OwnedIo;
    // The owned-buffer future moves between threads with its buffer.
    send::<OwnedIo<'static, std::net::TcpStream, Vec<u8>>>();
    unpin::<OwnedIo<'static, std::net::TcpStream, Vec<u8>>>();
    send_sync_unpin::<Slice<Vec<u8>>>();
    send_sync_unpin::<BufResult<usize, Vec<u8>>>();
}
