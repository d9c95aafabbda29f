//! `Child`: a running child process, its pipes, and waiting for its exit.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::process::{self, ExitStatus, Output};
use std::task::{Context, Poll, ready};

use futures_io::AsyncRead;

use super::exit::Exit;
use super::reaper;
use super::stdio::{ChildStderr, ChildStdin, ChildStdout};
use crate::Handle;

/// A child process started by [`Command::spawn`](super::Command::spawn).
///
/// Its piped standard streams are the public fields, as in std; take them
/// out to read and write while the child runs. Its exit is watched by the
/// reactor of the runtime it was spawned on (a pidfd, or `SIGCHLD` on
/// kernels before 5.3).
///
/// # Dropping
///
/// Dropping a `Child` whose exit status was not read never leaves a
/// zombie: with [`kill_on_drop`](super::Command::kill_on_drop) it is sent
/// `SIGKILL` first; either way a task of its runtime waits for its exit in
/// the background and reaps it (or, if that runtime has shut down, the
/// next spawn or wait does). Without `kill_on_drop` the child runs on, as
/// with std.
///
/// # Examples
///
/// ```no_run
/// use baton_protocol::process::Command;
///
/// # async fn demo() -> std::io::Result<()> {
/// let mut child = Command::new("sleep").arg("1").spawn()?;
/// println!("started {:?}", child.id());
/// let status = child.wait().await?;
/// assert!(status.success());
/// # Ok(()) }
/// ```
pub struct Child {
    /// The child's standard input, if it was [piped](super::Stdio::piped).
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, if it was piped.
    pub stderr: Option<ChildStderr>,
    /// `None` only inside `drop`, which hands it to the reaper.
    std: Option<process::Child>,
    /// `None` once the status is read.
    exit: Option<Exit>,
    status: Option<ExitStatus>,
    /// The runtime it was spawned on, where the reaper runs.
    handle: Handle,
    kill_on_drop: bool,
}

impl Child {
    /// Wraps a child std just spawned: its pipes and its exit watch are
    /// registered with `handle`'s reactor (entered on this thread). If that
    /// fails, the child is killed and reaped in the background.
    pub(super) fn new(
        mut std: process::Child,
        handle: Handle,
        kill_on_drop: bool,
    ) -> io::Result<Child> {
        let (stdin, stdout, stderr) = (std.stdin.take(), std.stdout.take(), std.stderr.take());
        let mut child = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            exit: None,
            status: None,
            std: Some(std),
            handle,
            // Until it is set up: a child we cannot watch is not left running.
            kill_on_drop: true,
        };
        child.exit = Some(Exit::watch(child.std()?.id())?);
        child.stdin = stdin.map(ChildStdin::new).transpose()?;
        child.stdout = stdout.map(ChildStdout::new).transpose()?;
        child.stderr = stderr.map(ChildStderr::new).transpose()?;
        child.kill_on_drop = kill_on_drop;
        Ok(child)
    }

    fn std(&mut self) -> io::Result<&mut process::Child> {
        self.std
            .as_mut()
            .ok_or_else(|| io::Error::other("the child was handed to the reaper"))
    }

    /// The child's process id, or `None` once its exit status was read (the
    /// id may belong to another process by then).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let mut child = baton_protocol::process::Command::new("true").spawn()?;
    /// assert!(child.id().is_some());
    /// child.wait().await?;
    /// assert_eq!(child.id(), None);
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> Option<u32> {
        match (&self.status, &self.std) {
            (None, Some(std)) => Some(std.id()),
            _ => None,
        }
    }

    /// Sends `SIGKILL` to the child. It does not wait: await
    /// [`wait`](Child::wait) for the exit status (killed by signal 9).
    ///
    /// # Errors
    ///
    /// `kill`'s error. A child that has already exited is `Ok`, as in std.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let mut child = baton_protocol::process::Command::new("sleep").arg("60").spawn()?;
    /// child.kill()?;
    /// assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
    /// # Ok(()) }
    /// ```
    pub fn kill(&mut self) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        self.std()?.kill()
    }

    /// The exit status if the child has exited, without waiting.
    ///
    /// # Errors
    ///
    /// `waitpid`'s error.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let mut child = baton_protocol::process::Command::new("sleep").arg("60").spawn()?;
    /// assert_eq!(child.try_wait()?, None);
    /// # child.kill()?;
    /// # Ok(()) }
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let status = self.std()?.try_wait()?;
        if let Some(status) = status {
            self.exited(status);
        }
        Ok(status)
    }

    /// Closes the child's standard input (if piped), then waits for the
    /// child to exit and returns its status. Later calls return the same
    /// status.
    ///
    /// # Errors
    ///
    /// `waitpid`'s error; [`Error::Shutdown`](crate::Error::Shutdown), as
    /// an `io::Error`, when the reactor shut down during the wait.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let mut child = baton_protocol::process::Command::new("false").spawn()?;
    /// assert_eq!(child.wait().await?.code(), Some(1));
    /// # Ok(()) }
    /// ```
    pub fn wait(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + '_ {
        // std closes stdin first too: a child reading it would never exit.
        drop(self.stdin.take());
        poll_fn(|cx| self.poll_wait(cx))
    }

    /// Polls for the child's exit.
    ///
    /// # Return value
    ///
    /// `Ready` with the exit status once the child has exited (it is then
    /// reaped); `Pending` with the waker stored in the reactor, woken when
    /// the child exits. Unlike [`wait`](Child::wait) it leaves stdin open.
    ///
    /// # Errors
    ///
    /// As [`wait`](Child::wait).
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let Child { std, exit, .. } = self;
        let (Some(std), Some(exit)) = (std.as_mut(), exit.as_mut()) else {
            return Poll::Ready(Err(io::Error::other("the child is not watched")));
        };
        let status = ready!(exit.poll_exit(std, cx))?;
        self.exited(status);
        Poll::Ready(Ok(status))
    }

    fn exited(&mut self, status: ExitStatus) {
        self.status = Some(status);
        // Stops watching: the pidfd (or SIGCHLD listener) is released now.
        self.exit = None;
        reaper::reap_orphans();
    }

    /// Closes stdin, reads stdout and stderr to their end (those that are
    /// piped) while waiting for the child, and returns all three.
    ///
    /// # Errors
    ///
    /// A read error, or [`wait`](Child::wait)'s.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use baton_protocol::process::{Command, Stdio};
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
    /// let output = child.wait_with_output().await?;
    /// assert_eq!(output.stdout, b"hi\n");
    /// # Ok(()) }
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let (mut stdout, mut stderr) = (self.stdout.take(), self.stderr.take());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        poll_fn(|cx| {
            drain(&mut stdout, &mut out, cx)?;
            drain(&mut stderr, &mut err, cx)?;
            match (&stdout, &stderr) {
                (None, None) => Poll::Ready(Ok::<_, io::Error>(())),
                _ => Poll::Pending,
            }
        })
        .await?;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout: out,
            stderr: err,
        })
    }
}

/// Reads what `pipe` has into `buf`; at its end, drops it (sets `None`).
/// Returns with the waker stored when it would block.
fn drain(
    pipe: &mut Option<impl AsyncRead + Unpin>,
    buf: &mut Vec<u8>,
    cx: &mut Context<'_>,
) -> io::Result<()> {
    const CHUNK: usize = 16 * 1024;
    let Some(reader) = pipe.as_mut() else {
        return Ok(());
    };
    loop {
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let read = Pin::new(&mut *reader).poll_read(cx, &mut buf[start..]);
        let n = match &read {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        buf.truncate(start + n);
        match read {
            Poll::Ready(Ok(0)) => {
                *pipe = None;
                return Ok(());
            }
            Poll::Ready(Ok(_)) => {}
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => return Ok(()),
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        let Some(mut std) = self.std.take() else {
            return;
        };
        if self.kill_on_drop {
            // Fails only if it is gone already; reaping follows either way.
            let _ = std.kill();
        }
        reaper::adopt(std, self.exit.take(), &self.handle);
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id())
            .field("status", &self.status)
            .field("watch", &self.exit.as_ref().map(Exit::kind))
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}
