//! Misuse of `#[baton::main]` and `#[baton::test]` is a compile error that
//! names the problem and points at the user's code (`tests/ui/*.stderr`).

#[test]
fn misuse_is_a_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
