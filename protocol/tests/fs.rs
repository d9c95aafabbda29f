//! `fs`: round trips, end of file, seeks over read-ahead, read-after-write,
//! listings, and bad input (missing paths, directories where files go).

mod util;

use std::io::{ErrorKind, SeekFrom};
use std::path::PathBuf;

use baton_protocol::fs::{self, File, OpenOptions};
use futures_lite::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, StreamExt};
use util::block_on;

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("baton-fs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bytes that differ at every position of a chunk, so a misplaced chunk
/// shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn file_round_trips_several_pipes_worth_and_reads_zero_at_eof() {
    let dir = TempDir::new("round-trip");
    let path = dir.path("big");
    let data = pattern(3 * 1024 * 1024 + 17);
    block_on(async {
        let mut file = File::create(&path).await?;
        for piece in data.chunks(10_000) {
            file.write_all(piece).await?;
        }
        file.flush().await?;
        let mut file = File::open(&path).await?;
        let mut back = Vec::new();
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            back.extend_from_slice(&buf[..n]);
        }
        assert_eq!(back.len(), data.len());
        assert!(back == data, "bytes differ after a round trip");
        assert_eq!(file.read(&mut buf).await?, 0, "a second read at EOF");
        std::io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn seeks_count_from_what_the_task_read_not_the_read_ahead() {
    let dir = TempDir::new("seek");
    let path = dir.path("f");
    std::fs::write(&path, pattern(1_000_000)).unwrap();
    block_on(async {
        let mut file = File::open(&path).await?;
        let mut buf = [0; 10];
        file.read_exact(&mut buf).await?;
        assert_eq!(file.seek(SeekFrom::Current(0)).await?, 10);
        assert_eq!(file.seek(SeekFrom::Current(5)).await?, 15);
        file.read_exact(&mut buf).await?;
        assert_eq!(buf[0], 15);
        assert_eq!(file.seek(SeekFrom::End(-1)).await?, 999_999);
        assert_eq!(file.read(&mut buf).await?, 1);
        assert_eq!(file.read(&mut buf).await?, 0);
        std::io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_write_after_reads_lands_where_the_task_stopped_reading() {
    let dir = TempDir::new("rw");
    let path = dir.path("f");
    std::fs::write(&path, b"abcdefghij").unwrap();
    block_on(async {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .await?;
        let mut two = [0; 2];
        file.read_exact(&mut two).await?;
        file.write_all(b"XY").await?;
        file.sync_all().await?;
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).await?;
        assert_eq!(rest, b"efghij");
        std::io::Result::Ok(())
    })
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"abXYefghij");
}

#[test]
fn whole_file_calls_and_listing() {
    let dir = TempDir::new("calls");
    block_on(async {
        fs::create_dir_all(dir.path("a/b")).await?;
        fs::write(dir.path("a/one"), "1").await?;
        fs::write(dir.path("a/b/two"), "22").await?;
        assert_eq!(fs::read(dir.path("a/b/two")).await?, b"22");
        assert_eq!(fs::metadata(dir.path("a/b/two")).await?.len(), 2);
        fs::rename(dir.path("a/one"), dir.path("a/uno")).await?;
        let mut names: Vec<_> = fs::read_dir(dir.path("a"))
            .await?
            .map(|e| e.map(|e| e.file_name()))
            .try_collect::<_, _, Vec<_>>()
            .await?;
        names.sort();
        assert_eq!(names, ["b", "uno"]);
        fs::remove_file(dir.path("a/uno")).await?;
        assert!(!dir.path("a/uno").exists());
        std::io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn listing_more_entries_than_one_batch() {
    let dir = TempDir::new("many");
    for i in 0..100 {
        std::fs::write(dir.path(&format!("f{i}")), "").unwrap();
    }
    let count = block_on(async {
        let mut entries = fs::read_dir(&dir.0).await?;
        let mut count = 0;
        while let Some(entry) = entries.next_entry().await? {
            assert!(entry.file_type().await?.is_file());
            count += 1;
        }
        std::io::Result::Ok(count)
    })
    .unwrap();
    assert_eq!(count, 100);
}

#[test]
fn a_missing_path_is_not_found() {
    let dir = TempDir::new("missing");
    let missing = dir.path("nope");
    block_on(async {
        assert_eq!(
            fs::read(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            File::open(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs::metadata(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs::remove_file(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs::read_dir(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs::write(dir.path("no/such/parent"), "x")
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
    });
}

#[test]
fn a_directory_where_a_file_goes_is_a_clear_error() {
    let dir = TempDir::new("isdir");
    block_on(async {
        assert_eq!(
            fs::read(&dir.0).await.unwrap_err().kind(),
            ErrorKind::IsADirectory
        );
        assert_eq!(
            fs::read_to_string(&dir.0).await.unwrap_err().kind(),
            ErrorKind::IsADirectory
        );
        assert_eq!(
            File::create(&dir.0).await.unwrap_err().kind(),
            ErrorKind::IsADirectory
        );
        assert_eq!(
            fs::write(&dir.0, "x").await.unwrap_err().kind(),
            ErrorKind::IsADirectory
        );
        // Opening a directory for reading works (as in std, so it can be
        // synced); reading it is the error.
        let mut file = File::open(&dir.0).await.unwrap();
        let mut buf = [0; 8];
        assert_eq!(
            file.read(&mut buf).await.unwrap_err().kind(),
            ErrorKind::IsADirectory
        );
        // A file where a directory goes.
        std::fs::write(dir.path("plain"), "").unwrap();
        assert_eq!(
            fs::read_dir(dir.path("plain")).await.unwrap_err().kind(),
            ErrorKind::NotADirectory
        );
    });
}

#[test]
fn options_without_an_access_mode_are_invalid_input() {
    let dir = TempDir::new("noaccess");
    let err = block_on(OpenOptions::new().open(dir.path("f"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}
