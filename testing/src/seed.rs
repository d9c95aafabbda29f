//! Seeds for reproducible tests: taken from `BATON_SEED` when it is set,
//! printed when a test fails.
//!
//! A test that uses randomness ([`Chaos`](crate::Chaos), a shuffling
//! executor, generated inputs) takes its seed from [`test_seed`]: a fresh
//! random one normally, the value of `BATON_SEED` when it is set. When the
//! test panics, the [`TestSeed`] prints the line that replays it:
//!
//! ```text
//! baton-testing: replay this test with BATON_SEED=4242424242
//! ```
//!
//! # Examples
//!
//! ```
//! use baton_testing::seed::test_seed;
//!
//! let seed = test_seed()?;
//! // Same seed, same decisions.
//! assert_eq!(fastrand::Rng::with_seed(seed.get()).u64(..), fastrand::Rng::with_seed(seed.get()).u64(..));
//! # Ok::<(), baton_protocol::Error>(())
//! ```

use std::fmt;
use std::io;

use baton_protocol::Error;

/// The environment variable that fixes the seed: `BATON_SEED=<n>`, decimal
/// or `0x` hexadecimal.
pub const ENV_VAR: &str = "BATON_SEED";

/// The seed in `BATON_SEED`, if the variable is set.
///
/// # Errors
///
/// [`Error::Io`] of kind `InvalidInput` when the variable is set but is not
/// a decimal or `0x`-hexadecimal `u64` (or not Unicode).
pub fn from_env() -> Result<Option<u64>, Error> {
    match std::env::var(ENV_VAR) {
        Ok(text) => parse(&text).map(Some),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(invalid("is not Unicode")),
    }
}

/// A fresh random seed, from fastrand's randomly seeded generator: two calls,
/// or two processes, get different seeds.
pub fn fresh() -> u64 {
    fastrand::Rng::new().u64(..)
}

/// The seed for a test: `BATON_SEED` if set, else [`fresh`]. The returned
/// guard prints `BATON_SEED=<seed>` if it is dropped while the thread
/// panics, so a failing test says how to replay it.
///
/// # Errors
///
/// As [`from_env`]: a `BATON_SEED` that is not a number is an error, never
/// silently replaced.
pub fn test_seed() -> Result<TestSeed, Error> {
    Ok(TestSeed {
        seed: from_env()?.unwrap_or_else(fresh),
    })
}

fn parse(text: &str) -> Result<u64, Error> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| invalid("is not a decimal or 0x-hexadecimal u64"))
}

fn invalid(what: &str) -> Error {
    Error::Io(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{ENV_VAR} {what}"),
    ))
}

/// A test's seed; prints how to replay it if dropped during a panic.
///
/// Keep it alive for the whole test body (bind it to a named variable, not
/// `_`), so that the panic of a failing assertion finds it on the stack.
#[must_use = "the seed is printed on failure only while the guard lives"]
pub struct TestSeed {
    seed: u64,
}

impl TestSeed {
    /// A guard for a seed chosen by the caller.
    pub fn new(seed: u64) -> TestSeed {
        TestSeed { seed }
    }

    /// The seed.
    pub fn get(&self) -> u64 {
        self.seed
    }
}

impl Drop for TestSeed {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "baton-testing: replay this test with {ENV_VAR}={}",
                self.seed
            );
        }
    }
}

impl fmt::Debug for TestSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TestSeed").field(&self.seed).finish()
    }
}

impl fmt::Display for TestSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ENV_VAR}={}", self.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_and_hex() {
        assert_eq!(parse("42").unwrap(), 42);
        assert_eq!(parse(" 0x2a\n").unwrap(), 42);
        assert_eq!(parse("0XFF").unwrap(), 255);
        assert_eq!(parse(&u64::MAX.to_string()).unwrap(), u64::MAX);
    }

    #[test]
    fn rejects_garbage_with_an_error() {
        for bad in ["", "-1", "0x", "seed", "18446744073709551616"] {
            let e = parse(bad).unwrap_err();
            assert!(
                matches!(&e, Error::Io(io) if io.kind() == io::ErrorKind::InvalidInput),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn display_is_the_replay_line() {
        assert_eq!(TestSeed::new(7).to_string(), "BATON_SEED=7");
    }
}
