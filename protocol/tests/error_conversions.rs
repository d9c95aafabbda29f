//! `Error` crosses into `io::Error` (for `futures_io`) and comes back out
//! unchanged; clones keep OS codes.

use std::io;

use baton_protocol::Error;

#[derive(Debug, thiserror::Error)]
#[error("application error {0}")]
struct AppError(u32);

fn round_trip(e: Error) -> Error {
    Error::from(io::Error::from(e))
}

#[test]
fn protocol_variants_round_trip() {
    assert!(matches!(round_trip(Error::NoRuntime), Error::NoRuntime));
    assert!(matches!(round_trip(Error::Closed), Error::Closed));
    assert!(matches!(round_trip(Error::Shutdown), Error::Shutdown));
    assert!(matches!(round_trip(Error::Elapsed), Error::Elapsed));
    assert!(matches!(
        round_trip(Error::NotRegistered),
        Error::NotRegistered
    ));
    assert!(matches!(
        round_trip(Error::AlreadyRegistered),
        Error::AlreadyRegistered
    ));
    assert!(matches!(
        round_trip(Error::InvalidState("x")),
        Error::InvalidState("x")
    ));
    assert!(matches!(
        round_trip(Error::Unsupported("y")),
        Error::Unsupported("y")
    ));
    match round_trip(Error::Cancelled(Some("why".into()))) {
        Error::Cancelled(Some(m)) => assert_eq!(m, "why"),
        other => panic!("got {other:?}"),
    }
    match round_trip(Error::Panicked("boom".into())) {
        Error::Panicked(m) => assert_eq!(m, "boom"),
        other => panic!("got {other:?}"),
    }
    let custom = round_trip(Error::custom(AppError(7)));
    assert_eq!(custom.downcast_ref::<AppError>().map(|e| e.0), Some(7));
}

#[test]
fn io_kinds_match_the_variant() {
    assert_eq!(
        io::Error::from(Error::Elapsed).kind(),
        io::ErrorKind::TimedOut
    );
    assert_eq!(
        io::Error::from(Error::Unsupported("z")).kind(),
        io::ErrorKind::Unsupported
    );
    assert_eq!(
        io::Error::from(Error::Closed).kind(),
        io::ErrorKind::NotConnected
    );
}

#[test]
fn io_errors_pass_through_unchanged() {
    let os = io::Error::from_raw_os_error(9); // EBADF
    let ours = Error::from(os);
    assert!(matches!(&ours, Error::Io(e) if e.raw_os_error() == Some(9)));
    let back = io::Error::from(ours);
    assert_eq!(back.raw_os_error(), Some(9));
}

#[test]
fn clones_keep_os_codes_kinds_and_messages() {
    let os = Error::Io(io::Error::from_raw_os_error(111)); // ECONNREFUSED
    match os.clone() {
        Error::Io(e) => {
            assert_eq!(e.raw_os_error(), Some(111));
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        }
        other => panic!("got {other:?}"),
    }

    let custom = Error::Io(io::Error::new(io::ErrorKind::InvalidData, "bad frame"));
    match custom.clone() {
        Error::Io(e) => {
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
            assert_eq!(e.to_string(), "bad frame");
        }
        other => panic!("got {other:?}"),
    }

    let app = Error::custom(AppError(3));
    assert_eq!(app.clone().downcast_ref::<AppError>().map(|e| e.0), Some(3));
}
