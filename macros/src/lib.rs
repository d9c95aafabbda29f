//! The attribute macros of [baton](https://docs.rs/baton): `#[baton::main]`
//! and `#[baton::test]`.
//!
//! Use them through the `baton` crate, which re-exports them and documents
//! them with examples (`baton::main`, `baton::test`); this crate only
//! rewrites the function. Each macro parses its options with `syn`, keeps
//! the `async fn` as an inner function, and emits one call into a normal
//! function of the facade (`baton::rt::main`, `baton::rt::test`) that does
//! the work. Misuse (a function that is not `async`, an unknown option,
//! arguments on `main`) is a compile error pointing at the offending code.
//!
//! # Examples
//!
//! ```
//! #[baton::main(executor = "local")]
//! async fn main() -> Result<(), baton::Error> {
//!     baton::sleep(std::time::Duration::from_millis(1)).await
//! }
//! ```

#![forbid(unsafe_code)]

mod entry;
mod options;

use proc_macro::TokenStream;

/// Runs an `async fn main` on a baton runtime; see `baton::main`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a baton runtime; see `baton::test`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Test, args.into(), item.into()).into()
}
