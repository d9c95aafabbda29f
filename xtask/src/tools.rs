//! Programs the tasks run that do not come with Rust (`redis-benchmark`,
//! `redis-server`): finding them on `PATH`, and installing the Debian
//! packages that hold them.

use std::process::{Command, Stdio};

/// Whether an executable file `name` is in a folder of `PATH`.
pub(crate) fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .any(|dir| dir.join(name).is_file())
}

/// Makes sure every program of `programs` is on `PATH`, installing
/// `packages` with apt-get when one is missing.
///
/// # Errors
///
/// Why a program is still missing: no apt-get, or apt-get failed.
pub(crate) fn ensure(programs: &[&str], packages: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !on_path(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let missing = missing.join(", ");
    if !on_path("apt-get") {
        return Err(format!("{missing} missing and there is no apt-get"));
    }
    eprintln!(
        "xtask: installing {} for {missing} (apt-get)",
        packages.join(" ")
    );
    let quiet = |cmd: &mut Command| {
        cmd.env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let installed = quiet(Command::new("apt-get").args(["update", "-qq"]))
        && quiet(
            Command::new("apt-get")
                .args(["install", "-y", "-qq"])
                .args(packages),
        );
    if installed && programs.iter().all(|p| on_path(p)) {
        Ok(())
    } else {
        Err(format!(
            "apt-get could not install {} ({missing} missing)",
            packages.join(" ")
        ))
    }
}
