//! I/O: the protocol's [`Async`] (any non-blocking file descriptor) and
//! futures-lite's extension traits and buffered reader, which give the
//! [`net`](crate::net) types `read`, `write_all`, `read_line`, `lines`.
//!
//! # Examples
//!
//! ```
//! use baton::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! use baton::net::UnixStream;
//!
//! #[baton::main(executor = "local")]
//! async fn main() -> Result<(), baton::Error> {
//!     let (mut a, b) = UnixStream::pair()?;
//!     a.write_all(b"one line\n").await?;
//!     let mut line = String::new();
//!     BufReader::new(b).read_line(&mut line).await?;
//!     assert_eq!(line, "one line\n");
//!     Ok(())
//! }
//! ```

#[doc(no_inline)]
pub use baton_protocol::io::{Async, Readable, Writable};
#[doc(no_inline)]
pub use futures_lite::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
    BufWriter, split,
};
