//! A listener out of file descriptors backs off instead of spinning, and
//! accepts the queued connection once descriptors are free again.
//!
//! The test lowers `RLIMIT_NOFILE`, which is process-wide: this binary holds
//! this one test and nothing else.

mod rt;

use std::fs::{self, File};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use baton_protocol::Reactor;
use baton_protocol::net::{MIN_ACCEPT_BACKOFF, TcpListener, UnixListener};
use baton_reactor_epoll::EpollReactor;
use baton_testing::VirtualTime;
use rt::Rt;

/// Consecutive accept errors collected.
const ERRORS: u32 = 20;

/// Every file descriptor number below the soft limit in use, the limit
/// restored and the fillers closed on drop.
struct OutOfFds {
    saved: libc::rlimit,
    fillers: Vec<File>,
}

fn getrlimit() -> libc::rlimit {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes one `rlimit` through a valid pointer.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(rc, 0, "getrlimit: {}", io::Error::last_os_error());
    limit
}

fn setrlimit(limit: &libc::rlimit) {
    // SAFETY: `setrlimit` reads one `rlimit` through a valid pointer.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, limit) };
    assert_eq!(rc, 0, "setrlimit: {}", io::Error::last_os_error());
}

impl OutOfFds {
    fn new() -> OutOfFds {
        let saved = getrlimit();
        let highest = fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|entry| {
                entry
                    .ok()?
                    .file_name()
                    .to_str()?
                    .parse::<libc::rlim_t>()
                    .ok()
            })
            .max()
            .unwrap();
        // The directory's own fd is closed by now; the lowered limit admits
        // no number above the highest one open, and the holes below it are
        // filled.
        setrlimit(&libc::rlimit {
            rlim_cur: highest + 1,
            rlim_max: saved.rlim_max,
        });
        let mut fillers = Vec::new();
        loop {
            match File::open("/dev/null") {
                Ok(file) => fillers.push(file),
                Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
                Err(e) => panic!("filling the fd table: {e}"),
            }
        }
        OutOfFds { saved, fillers }
    }
}

impl Drop for OutOfFds {
    fn drop(&mut self) {
        self.fillers.clear();
        setrlimit(&self.saved);
    }
}

/// Collects [`ERRORS`] accept errors with every fd number in use, each
/// `EMFILE`, and returns how far the reactor's clock moved meanwhile.
async fn out_of_fds_errors<T>(
    vt: &VirtualTime<EpollReactor>,
    mut accept: impl AsyncFnMut() -> io::Result<T>,
) -> Duration {
    let out_of_fds = OutOfFds::new();
    let start = vt.now();
    for _ in 0..ERRORS {
        let e = accept().await.err().expect("accepted with no fd free");
        assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e:?}");
    }
    let waited = vt.now() - start;
    drop(out_of_fds);
    waited
}

/// Without a back-off every accept fails at once and the virtual clock,
/// which only jumps when the runtime is idle, does not move at all.
fn assert_backed_off(kind: &str, waited: Duration) {
    assert!(
        waited >= (ERRORS - 1) * MIN_ACCEPT_BACKOFF,
        "{kind}: {ERRORS} accept errors in {waited:?} of reactor time"
    );
}

#[test]
fn emfile_backs_off_on_the_reactor_clock_then_accepts() {
    let vt = Arc::new(
        baton_testing::virtual_time::Builder::new()
            .autojump_threshold(Duration::ZERO)
            .build(EpollReactor::new().unwrap()),
    );
    let rt = Rt::with_reactor(vt.clone());

    // TCP. The client is queued in the listen backlog: the listener is
    // readable throughout.
    let listener = {
        let _enter = rt.handle().enter();
        TcpListener::bind(([127, 0, 0, 1], 0)).unwrap()
    };
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let waited = rt.block_on(out_of_fds_errors(&vt, async || listener.accept().await));
    assert_backed_off("tcp", waited);
    let (_server, peer) = rt.block_on(listener.accept()).unwrap();
    assert_eq!(peer, client.local_addr().unwrap());

    // Unix.
    let dir = std::env::temp_dir().join(format!("baton-accept-backoff-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).unwrap();
    let path = dir.join("listener.sock");
    let listener = {
        let _enter = rt.handle().enter();
        UnixListener::bind(&path).unwrap()
    };
    let _client = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let waited = rt.block_on(out_of_fds_errors(&vt, async || listener.accept().await));
    assert_backed_off("unix", waited);
    rt.block_on(listener.accept()).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}
