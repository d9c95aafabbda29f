//! What the kernel says about a process: CPU time and memory, read from
//! `/proc`, and the machine a run happened on.

use std::fs;
use std::io;

/// CPU time (user + system) of every live thread of process `pid`, in
/// nanoseconds, from `/proc/<pid>/task/*/schedstat`.
///
/// # Implementation notes
///
/// `schedstat` counts in nanoseconds where `/proc/<pid>/stat` counts in
/// clock ticks (10 ms): a window of a second needs the former. A thread that
/// exited during the window takes its time with it; the runtimes measured
/// keep their threads for the whole run.
///
/// # Errors
///
/// The process is gone, or `/proc` is not mounted.
pub(crate) fn cpu_ns(pid: u32) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = entry?.path().join("schedstat");
        // A thread may exit between the listing and the read.
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        total += text
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok(total)
}

/// CPU time of this process, in nanoseconds (see [`cpu_ns`]).
pub(crate) fn self_cpu_ns() -> u64 {
    cpu_ns(std::process::id()).unwrap_or(0)
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`: peak RSS).
pub(crate) fn status_bytes(field: &str) -> u64 {
    let Ok(status) = fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// The soft limit on open files of this process.
pub(crate) fn open_files_limit() -> Option<u64> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The machine, as `BENCHMARKS.md` reports it.
pub(crate) fn machine() -> serde_json::Value {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split(':').nth(1))
        .map_or_else(|| "unknown".to_owned(), |m| m.trim().to_owned());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0);
    let kernel = fs::read_to_string("/proc/version")
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    let uname = std::process::Command::new("uname")
        .arg("-a")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    serde_json::json!({
        "cpu": model,
        "cores": std::thread::available_parallelism().map_or(1, usize::from),
        "memory_gib": (memory_kib as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0,
        "kernel": kernel,
        "uname": uname,
    })
}
