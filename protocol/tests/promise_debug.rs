//! `Debug` reads like asyncio's `repr` of a Future.

use baton_protocol::{Error, Promise};

#[test]
fn each_state_reads_like_asyncio() {
    let pending = Promise::<Vec<u8>>::new();
    assert_eq!(format!("{pending:?}"), "<Promise pending>");

    pending.set_result(vec![1, 2]).unwrap();
    assert_eq!(format!("{pending:?}"), "<Promise finished result=[1, 2]>");

    let failed = Promise::<u8>::new();
    failed.set_error(Error::Elapsed).unwrap();
    assert_eq!(format!("{failed:?}"), "<Promise finished error=Elapsed>");
    // Read it, so that dropping the Promise reports nothing.
    assert!(failed.error().unwrap().is_some());

    let cancelled = Promise::<u8>::new();
    cancelled.cancel();
    assert_eq!(format!("{cancelled:?}"), "<Promise cancelled>");

    let with_message = Promise::<u8>::new();
    with_message.cancel_with("bye");
    assert_eq!(
        format!("{with_message:?}"),
        r#"<Promise cancelled message="bye">"#
    );
}
