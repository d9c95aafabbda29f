//! What the soak reads of a running server in `/proc`: its resident
//! memory (`VmRSS` in `/proc/PID/status`) and how many file descriptors it
//! holds open (the entries of `/proc/PID/fd`).

use std::fs;

/// One reading of a process's resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Usage {
    /// Resident set size, in bytes.
    pub(crate) rss: u64,
    /// Open file descriptors.
    pub(crate) fds: usize,
}

/// Reads the resident memory and open descriptors of process `pid`.
///
/// # Errors
///
/// The process is gone, or `/proc` says something [`vm_rss`] cannot read.
pub(crate) fn usage(pid: u32) -> Result<Usage, String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    let rss = vm_rss(&status).map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let fds = fs::read_dir(format!("/proc/{pid}/fd"))
        .map_err(|e| format!("cannot list /proc/{pid}/fd: {e}"))?
        .count();
    Ok(Usage { rss, fds })
}

/// The `VmRSS` of a `/proc/PID/status` text, in bytes. The kernel writes
/// it as `VmRSS:` then spaces or tabs, a number and `kB` (which means
/// KiB).
///
/// # Errors
///
/// No `VmRSS` line (a zombie or a kernel thread has none), or one that is
/// not a number of `kB`.
pub(crate) fn vm_rss(status: &str) -> Result<u64, String> {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .ok_or("no VmRSS line (has the process exited?)")?;
    let mut words = line.split_whitespace();
    let (Some(number), Some("kB"), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!("VmRSS is not a number of kB: {:?}", line.trim()));
    };
    let kib: u64 = number
        .parse()
        .map_err(|e| format!("VmRSS {number:?}: {e}"))?;
    kib.checked_mul(1024)
        .ok_or_else(|| format!("VmRSS {kib} kB is too large"))
}

#[cfg(test)]
mod tests {
    use super::{usage, vm_rss};

    /// Lines around VmRSS as Linux 6.x writes them, VmHWM included (it
    /// must not be mistaken for the current figure).
    const STATUS: &str = "Name:\tresp\nUmask:\t0022\nState:\tS (sleeping)\n\
        VmPeak:\t  224596 kB\nVmSize:\t  224596 kB\nVmLck:\t       0 kB\n\
        VmHWM:\t   10412 kB\nVmRSS:\t    7904 kB\nRssAnon:\t    2048 kB\n\
        Threads:\t3\n";

    #[test]
    fn reads_vm_rss_in_bytes() {
        assert_eq!(vm_rss(STATUS), Ok(7904 * 1024));
        assert_eq!(vm_rss("VmRSS: 0 kB"), Ok(0));
    }

    #[test]
    fn a_status_without_vm_rss_is_an_error() {
        // A zombie's status stops before the Vm lines.
        let zombie = "Name:\tresp\nState:\tZ (zombie)\nThreads:\t1\n";
        let err = vm_rss(zombie).expect_err("no VmRSS");
        assert!(err.contains("no VmRSS"), "{err}");
    }

    #[test]
    fn malformed_vm_rss_lines_are_errors() {
        for bad in [
            "VmRSS:\t 12 MB\n",
            "VmRSS:\t twelve kB\n",
            "VmRSS:\t 12\n",
            "VmRSS:\t 12 kB extra\n",
            "VmRSS:\t -12 kB\n",
            "VmRSS:\t 99999999999999999999 kB\n",
        ] {
            assert!(vm_rss(bad).is_err(), "{bad:?} was accepted");
        }
        // Too large once scaled to bytes.
        assert!(vm_rss(&format!("VmRSS: {} kB", u64::MAX / 512)).is_err());
    }

    #[test]
    fn reads_this_process() {
        let me = usage(std::process::id()).expect("our own /proc entry");
        // A running test binary has resident pages and at least stdin,
        // stdout and stderr open.
        assert!(me.rss > 0, "{me:?}");
        assert!(me.fds >= 3, "{me:?}");
    }
}
