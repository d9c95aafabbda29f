//! Running cargo from xtask: the workspace root, and builds whose test
//! or release binaries we need to run ourselves.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root (xtask's parent folder).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A `cargo` command run from the workspace root, with the cargo that runs
/// xtask.
pub(crate) fn cargo() -> Command {
    let mut cmd =
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")));
    cmd.current_dir(root());
    cmd
}

/// The extra `RUSTFLAGS` of the poll(2) build, appended to the caller's.
pub(crate) fn poll2_rustflags() -> OsString {
    let mut flags = std::env::var_os("RUSTFLAGS").unwrap_or_default();
    if !flags.is_empty() {
        flags.push(" ");
    }
    flags.push("--cfg polling_test_poll_backend");
    flags
}

/// The target folder of the poll(2) build: its own, because RUSTFLAGS
/// differ and would otherwise rebuild the default one each time.
pub(crate) fn poll2_target_dir() -> PathBuf {
    root().join("target").join("poll2")
}

/// Builds the test binary `test` of package `package` (optionally as the
/// poll(2) build) and returns its path.
pub(crate) fn build_test_binary(package: &str, test: &str, poll2: bool) -> Result<PathBuf, String> {
    let mut cmd = cargo();
    cmd.args(["test", "-p", package, "--test", test, "--no-run"]);
    if poll2 {
        cmd.env("RUSTFLAGS", poll2_rustflags())
            .env("CARGO_TARGET_DIR", poll2_target_dir());
    }
    let is_it = |target: &serde_json::Value| {
        target["name"] == test
            && target["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "test"))
    };
    match build(cmd, is_it) {
        Ok(Some(path)) => Ok(path),
        Ok(None) => Err(format!(
            "cargo built no executable for {package}'s {test} test"
        )),
        Err(status) => Err(format!(
            "building {package}'s {test} test failed ({status})"
        )),
    }
}

/// Builds binary `bin` of `package` in release mode and returns its path.
pub(crate) fn build_release_bin(package: &str, bin: &str) -> Result<PathBuf, String> {
    build_release_bin_with(package, bin, &[])
}

/// [`build_release_bin`] with cargo features of `package` turned on. The
/// binary's path is the same for every feature set: copy it before the
/// next build.
pub(crate) fn build_release_bin_with(
    package: &str,
    bin: &str,
    features: &[&str],
) -> Result<PathBuf, String> {
    let mut cmd = cargo();
    cmd.args(["build", "--release", "-p", package, "--bin", bin]);
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    match build(cmd, |target| target["name"] == bin) {
        Ok(Some(path)) => Ok(path),
        Ok(None) => Err(format!("cargo built no executable {bin} for {package}")),
        Err(status) => Err(format!("building {package}'s {bin} failed ({status})")),
    }
}

/// Runs the cargo build `cmd` with JSON messages and returns the path of
/// the last executable whose target `wanted` accepts (`Ok(None)`: none);
/// `Err` says why the build failed.
fn build(
    mut cmd: Command,
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> Result<Option<PathBuf>, String> {
    cmd.arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut executable = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if msg["reason"] == "compiler-artifact"
                && wanted(&msg["target"])
                && let Some(path) = msg["executable"].as_str()
            {
                executable = Some(PathBuf::from(path));
            }
        }
    }
    let status = child.wait().map_err(|e| format!("cargo failed: {e}"))?;
    if status.success() {
        Ok(executable)
    } else {
        Err(status.to_string())
    }
}
