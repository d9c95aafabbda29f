//! K. Files on the blocking pool: a 10 MiB round trip, end of file, and the
//! errors of missing paths and directories.

use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use baton_protocol::fs::{self, File};
use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};

use super::blocking::settle;
use crate::case::{Case, Failure, Outcome, case};
use crate::ctx::Ctx;
use crate::{ensure, ensure_eq};

pub(crate) const CASES: &[Case] = &[
    case!(
        "fs.round_trip_10mib",
        "10 MiB written through File and read back in 64 KiB reads is intact; reads at EOF return 0",
        [],
        round_trip_10mib
    ),
    case!(
        "fs.missing_and_directory_errors",
        "a missing file is NotFound; reading a directory is IsADirectory; listing a file is NotADirectory",
        [],
        missing_and_directory_errors
    ),
    case!(
        "fs.whole_file_calls",
        "write, read, metadata, rename, read_dir and remove_file agree with each other",
        [],
        whole_file_calls
    ),
];

/// A directory of its own for one case run, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(ctx: &Ctx) -> Result<Scratch, Failure> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "baton-conformance-fs-{}-{}-{}",
            std::process::id(),
            ctx.seed(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const TEN_MIB: usize = 10 * 1024 * 1024;

fn round_trip_10mib(ctx: &Ctx) -> Outcome {
    let scratch = Scratch::new(ctx)?;
    let path = scratch.path("ten");
    // Varies within every chunk, so a misplaced chunk shows.
    let data: Vec<u8> = (0..TEN_MIB).map(|i| (i % 251) as u8).collect();
    let (back, eof) = ctx.block_on(async {
        let mut file = File::create(&path).await?;
        for piece in data.chunks(100_000) {
            file.write_all(piece).await?;
        }
        file.flush().await?;
        drop(file);
        let mut file = File::open(&path).await?;
        let mut back = Vec::with_capacity(TEN_MIB);
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            back.extend_from_slice(&buf[..n]);
        }
        let eof = [file.read(&mut buf).await?, file.read(&mut buf).await?];
        std::io::Result::Ok((back, eof))
    })??;
    ensure_eq!(back.len(), TEN_MIB);
    ensure!(
        back == data,
        "the bytes read back differ from the bytes written"
    );
    ensure_eq!(eof, [0, 0], "reads at end of file");
    settle(&ctx.runtime()?.handle())
}

fn missing_and_directory_errors(ctx: &Ctx) -> Outcome {
    let scratch = Scratch::new(ctx)?;
    std::fs::write(scratch.path("plain"), "x")?;
    let kinds = ctx.block_on(async {
        let kind = |r: std::io::Result<()>| r.err().map(|e| e.kind());
        let missing = scratch.path("missing");
        let mut buf = [0; 4];
        [
            kind(fs::read(&missing).await.map(drop)),
            kind(File::open(&missing).await.map(drop)),
            kind(fs::read(&scratch.0).await.map(drop)),
            kind(
                async { File::open(&scratch.0).await?.read(&mut buf).await }
                    .await
                    .map(drop),
            ),
            kind(fs::read_dir(scratch.path("plain")).await.map(drop)),
        ]
    })?;
    ensure_eq!(
        kinds,
        [
            Some(ErrorKind::NotFound),
            Some(ErrorKind::NotFound),
            Some(ErrorKind::IsADirectory),
            Some(ErrorKind::IsADirectory),
            Some(ErrorKind::NotADirectory),
        ]
    );
    settle(&ctx.runtime()?.handle())
}

fn whole_file_calls(ctx: &Ctx) -> Outcome {
    let scratch = Scratch::new(ctx)?;
    ctx.block_on(async {
        fs::create_dir_all(scratch.path("sub/deeper")).await?;
        fs::write(scratch.path("sub/a"), "alpha").await?;
        ensure_eq!(fs::read_to_string(scratch.path("sub/a")).await?, "alpha");
        ensure_eq!(fs::metadata(scratch.path("sub/a")).await?.len(), 5);
        fs::rename(scratch.path("sub/a"), scratch.path("sub/b")).await?;
        let mut names = fs::read_dir(scratch.path("sub"))
            .await?
            .map(|e| e.map(|e| e.file_name()))
            .try_collect::<_, _, Vec<_>>()
            .await?;
        names.sort();
        ensure_eq!(names, ["b", "deeper"]);
        fs::remove_file(scratch.path("sub/b")).await?;
        let gone = fs::metadata(scratch.path("sub/b")).await;
        ensure!(gone.is_err_and(|e| e.kind() == ErrorKind::NotFound));
        Ok::<_, Failure>(())
    })??;
    settle(&ctx.runtime()?.handle())
}
