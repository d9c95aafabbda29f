//! `fs_read`: reading a large file through each runtime's own file API.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use super::{Outcome, metrics};
use crate::rt::{Job, Rt};

/// The size of each `read` call: the same on every runtime.
pub(super) const READ: usize = 64 * 1024;

/// Reads a file of `bytes` bytes to its end in [`READ`]-byte reads, once to
/// warm up (the file is then in the page cache, so the figure is the
/// runtime's cost, not the disk's), then once measured.
#[derive(Clone)]
pub(super) struct FsRead {
    pub(super) bytes: usize,
}

/// A scratch file, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl FsRead {
    /// Writes the file, with bytes that vary (so no layer can shortcut
    /// zeros).
    fn create(&self) -> std::io::Result<Scratch> {
        let path = std::env::temp_dir().join(format!("baton-bench-fs-read-{}", std::process::id()));
        let scratch = Scratch(path);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&scratch.0)?);
        let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        let mut left = self.bytes;
        while left > 0 {
            let n = left.min(block.len());
            file.write_all(&block[..n])?;
            left -= n;
        }
        file.flush()?;
        Ok(scratch)
    }
}

impl Job for FsRead {
    type Output = Result<Outcome, String>;

    fn run<R: Rt>(self, rt: &R) -> Result<Outcome, String> {
        let scratch = self
            .create()
            .map_err(|e| format!("creating the file: {e}"))?;
        let read = || {
            let start = Instant::now();
            let bytes = rt
                .block_on(R::read_file(scratch.0.clone(), READ))
                .map_err(|e| format!("reading the file: {e}"))?;
            if bytes != self.bytes as u64 {
                return Err(format!("read {bytes} bytes of {}", self.bytes));
            }
            Ok(start.elapsed())
        };
        read()?;
        let took = read()?;
        let mib = self.bytes as f64 / (1024.0 * 1024.0);
        Ok(Outcome::Done(metrics([
            ("ms", took.as_secs_f64() * 1e3),
            ("us_per_mib", took.as_secs_f64() * 1e6 / mib),
        ])))
    }
}

/// A size in MiB: `256MiB`.
pub(super) fn mebibytes(size: &str) -> Option<usize> {
    size.strip_suffix("MiB")?
        .parse::<usize>()
        .ok()
        .filter(|&n| n > 0)?
        .checked_mul(1024 * 1024)
}
