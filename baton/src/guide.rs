//! Getting started: from hello world to a chat server, then the same server
//! tested under virtual time and on every reactor × executor pair.
//!
//! Every step below is a doctest of this crate: it is compiled (and run) by
//! `cargo test -p baton`. Add one dependency:
//!
//! ```toml
//! [dependencies]
//! baton = "0.1"
//!
//! [dev-dependencies]
//! baton = { version = "0.1", features = ["testing"] }
//! ```
//!
//! # 1. Hello world
//!
//! `#[baton::main]` builds a runtime (epoll, the multi-thread executor, one
//! worker per core), runs `main` on it, and shuts it down:
//!
//! ```
//! #[baton::main]
//! async fn main() {
//!     println!("hello from baton");
//! }
//! ```
//!
//! # 2. Tasks and timers
//!
//! [`spawn`](crate::spawn) starts a task; its [`JoinHandle`](crate::JoinHandle)
//! is a future of the task's output. Everything that can fail returns
//! `Result<_, baton::Error>`, and each fallible call needs one `?`:
//!
//! ```
//! use std::time::Duration;
//!
//! #[baton::main]
//! async fn main() -> Result<(), baton::Error> {
//!     let mut tasks = Vec::new();
//!     for n in 1..=3u64 {
//!         tasks.push(baton::spawn(async move {
//!             baton::sleep(Duration::from_millis(n)).await?;
//!             Ok::<_, baton::Error>(n * 10)
//!         })?);
//!     }
//!     let mut total = 0;
//!     for task in tasks {
//!         // The task's own `Result`, once the join succeeded: `match`, or
//!         // (as here) `?` on the join and `?` on the output, in two steps.
//!         let output = task.await?;
//!         total += output?;
//!     }
//!     assert_eq!(total, 60);
//!     Ok(())
//! }
//! ```
//!
//! Why never `??`: `block_on` and `#[baton::main]` hand back the future's own
//! output. Building the runtime is the one place a runtime error is reported
//! ([`RuntimeOptions::build`](crate::RuntimeOptions::build)); misusing one (a
//! `block_on` inside itself, or on another runtime's worker) is a bug in the
//! program and panics, as in tokio; [`rt`](crate::rt) says more. And
//! [`Error`](crate::Error) converts into `std::io::Error`, so an
//! `io::Result` function can `?` both kinds.
//!
//! # 3. Picking the runtime
//!
//! In the attribute, or, without recompiling, in the environment
//! (`BATON_REACTOR=poll BATON_EXECUTOR=local BATON_WORKERS=2`, which override
//! the attribute):
//!
//! ```
//! #[baton::main(reactor = "poll", executor = "local")]
//! async fn main() {
//!     baton::yield_now().await;
//! }
//! ```
//!
//! A program with flags of its own reads them into
//! [`RuntimeOptions`](crate::RuntimeOptions) (`--reactor epoll|poll|uring`,
//! `--executor local|multi`, `--workers N`), with messages that say what is
//! expected:
//!
//! ```
//! use baton::RuntimeOptions;
//!
//! fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let mut options = RuntimeOptions::default().with_env()?;
//!     for (flag, value) in [("executor", "local"), ("reactor", "poll")] {
//!         options.set(flag, value)?; // as from `--executor local --reactor poll`
//!     }
//!     let mut probe = options; // options are `Copy`
//!     let bad = probe.set("reactor", "kqueue").unwrap_err();
//!     assert_eq!(bad.to_string(), "expected epoll, poll or uring");
//!
//!     let rt = options.build()?;
//!     let answer = rt.block_on(async { 6 * 7 });
//!     assert_eq!(answer, 42);
//!     Ok(())
//! }
//! ```
//!
//! # 4. A chat server
//!
//! Each client gets a task; a line from one is written to all the others; a
//! client silent for a minute is sent away. The room is a list of the
//! clients' sockets behind a `Mutex` that is never held across an `.await`
//! (the broadcast writes to a snapshot). `&TcpStream` reads and writes, so one
//! client's task reads its socket while others write to it.
//!
//! ```
//! use std::io;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//!
//! use baton::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! use baton::net::{TcpListener, TcpStream};
//! use baton::stream::StreamExt;
//!
//! /// How long a client may stay silent before it is sent away.
//! pub const IDLE: Duration = Duration::from_secs(60);
//!
//! /// Everyone in the room.
//! #[derive(Clone, Default)]
//! pub struct Room {
//!     peers: Arc<Mutex<Vec<(u64, Arc<TcpStream>)>>>,
//!     next_id: Arc<AtomicU64>,
//! }
//!
//! impl Room {
//!     fn join(&self, stream: Arc<TcpStream>) -> u64 {
//!         let id = self.next_id.fetch_add(1, Ordering::Relaxed);
//!         self.lock().push((id, stream));
//!         id
//!     }
//!
//!     fn leave(&self, id: u64) {
//!         self.lock().retain(|(peer, _)| *peer != id);
//!     }
//!
//!     /// A snapshot: the lock is not held while we write.
//!     fn others(&self, id: u64) -> Vec<Arc<TcpStream>> {
//!         let peers = self.lock();
//!         peers.iter().filter(|(p, _)| *p != id).map(|(_, s)| s.clone()).collect()
//!     }
//!
//!     fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<TcpStream>)>> {
//!         self.peers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
//!     }
//! }
//!
//! /// Accepts clients for ever, one task each.
//! pub async fn serve(listener: TcpListener, room: Room) -> io::Result<()> {
//!     loop {
//!         let (stream, _) = listener.accept().await?;
//!         let room = room.clone();
//!         baton::spawn(async move {
//!             if let Err(e) = client(stream, room).await {
//!                 eprintln!("client: {e}");
//!             }
//!         })?
//!         .detach();
//!     }
//! }
//!
//! /// One client: greet it, then send each of its lines to the others, until
//! /// it leaves or stays silent for `IDLE`.
//! async fn client(stream: TcpStream, room: Room) -> io::Result<()> {
//!     let stream = Arc::new(stream);
//!     let id = room.join(stream.clone());
//!     (&*stream).write_all(format!("welcome, you are {id}\n").as_bytes()).await?;
//!     let mut lines = BufReader::new(&*stream).lines();
//!     loop {
//!         let line = match baton::timeout(IDLE, lines.next()).await {
//!             Ok(Some(line)) => line?,
//!             Ok(None) => break, // the client left
//!             Err(_) => {
//!                 (&*stream).write_all(b"bye: idle\n").await?;
//!                 break;
//!             }
//!         };
//!         let said = format!("{id}: {line}\n");
//!         for peer in room.others(id) {
//!             // One peer gone must not stop the others.
//!             let _ = (&*peer).write_all(said.as_bytes()).await;
//!         }
//!     }
//!     room.leave(id);
//!     Ok(())
//! }
//!
//! /// Two clients: each reads its welcome, then one talks and the other hears it.
//! async fn two_clients_chat() -> io::Result<()> {
//!     let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//!     let addr = listener.local_addr()?;
//!     baton::spawn(serve(listener, Room::default()))?.detach();
//!
//!     let ada = TcpStream::connect(addr).await?;
//!     let mut ada_lines = BufReader::new(&ada).lines();
//!     let bob = TcpStream::connect(addr).await?;
//!     let mut bob_lines = BufReader::new(&bob).lines();
//!     let welcome = next_line(&mut ada_lines).await?;
//!     next_line(&mut bob_lines).await?;
//!
//!     (&ada).write_all(b"hello\n").await?;
//!     let ada_id = welcome.trim_start_matches("welcome, you are ");
//!     assert_eq!(next_line(&mut bob_lines).await?, format!("{ada_id}: hello"));
//!     Ok(())
//! }
//!
//! /// The next line, or `UnexpectedEof` if the server hung up.
//! async fn next_line<L>(lines: &mut L) -> io::Result<String>
//! where
//!     L: baton::stream::Stream<Item = io::Result<String>> + Unpin,
//! {
//!     lines.next().await.unwrap_or_else(|| Err(io::ErrorKind::UnexpectedEof.into()))
//! }
//! #[baton::main]
//! async fn main() -> io::Result<()> {
//!     two_clients_chat().await
//! }
//! ```
//!
//! (A production server would queue lines per client, so that one slow reader
//! cannot hold up a speaker: `baton-examples`' `chat` does.)
//!
//! # 5. Testing it under virtual time
//!
//! The idle rule says "a minute"; a test that waits a minute is a test nobody
//! runs. Under `virtual_time`, the clock jumps to the next timer whenever
//! every task waits, so the minute passes at once, exactly. `timeout` is a
//! hang guard in real time: a test still running after it fails with what
//! each task waits on.
//!
//! ```
//! # use std::io;
//! # use std::sync::atomic::{AtomicU64, Ordering};
//! # use std::sync::{Arc, Mutex};
//! # use std::time::Duration;
//! #
//! # use baton::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! # use baton::net::{TcpListener, TcpStream};
//! # use baton::stream::StreamExt;
//! #
//! # /// How long a client may stay silent before it is sent away.
//! # pub const IDLE: Duration = Duration::from_secs(60);
//! #
//! # /// Everyone in the room.
//! # #[derive(Clone, Default)]
//! # pub struct Room {
//! #     peers: Arc<Mutex<Vec<(u64, Arc<TcpStream>)>>>,
//! #     next_id: Arc<AtomicU64>,
//! # }
//! #
//! # impl Room {
//! #     fn join(&self, stream: Arc<TcpStream>) -> u64 {
//! #         let id = self.next_id.fetch_add(1, Ordering::Relaxed);
//! #         self.lock().push((id, stream));
//! #         id
//! #     }
//! #
//! #     fn leave(&self, id: u64) {
//! #         self.lock().retain(|(peer, _)| *peer != id);
//! #     }
//! #
//! #     /// A snapshot: the lock is not held while we write.
//! #     fn others(&self, id: u64) -> Vec<Arc<TcpStream>> {
//! #         let peers = self.lock();
//! #         peers.iter().filter(|(p, _)| *p != id).map(|(_, s)| s.clone()).collect()
//! #     }
//! #
//! #     fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<TcpStream>)>> {
//! #         self.peers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
//! #     }
//! # }
//! #
//! # /// Accepts clients for ever, one task each.
//! # pub async fn serve(listener: TcpListener, room: Room) -> io::Result<()> {
//! #     loop {
//! #         let (stream, _) = listener.accept().await?;
//! #         let room = room.clone();
//! #         baton::spawn(async move {
//! #             if let Err(e) = client(stream, room).await {
//! #                 eprintln!("client: {e}");
//! #             }
//! #         })?
//! #         .detach();
//! #     }
//! # }
//! #
//! # /// One client: greet it, then send each of its lines to the others, until
//! # /// it leaves or stays silent for `IDLE`.
//! # async fn client(stream: TcpStream, room: Room) -> io::Result<()> {
//! #     let stream = Arc::new(stream);
//! #     let id = room.join(stream.clone());
//! #     (&*stream).write_all(format!("welcome, you are {id}\n").as_bytes()).await?;
//! #     let mut lines = BufReader::new(&*stream).lines();
//! #     loop {
//! #         let line = match baton::timeout(IDLE, lines.next()).await {
//! #             Ok(Some(line)) => line?,
//! #             Ok(None) => break, // the client left
//! #             Err(_) => {
//! #                 (&*stream).write_all(b"bye: idle\n").await?;
//! #                 break;
//! #             }
//! #         };
//! #         let said = format!("{id}: {line}\n");
//! #         for peer in room.others(id) {
//! #             // One peer gone must not stop the others.
//! #             let _ = (&*peer).write_all(said.as_bytes()).await;
//! #         }
//! #     }
//! #     room.leave(id);
//! #     Ok(())
//! # }
//! # /// The next line, or `UnexpectedEof` if the server hung up.
//! # async fn next_line<L>(lines: &mut L) -> io::Result<String>
//! # where
//! #     L: baton::stream::Stream<Item = io::Result<String>> + Unpin,
//! # {
//! #     lines.next().await.unwrap_or_else(|| Err(io::ErrorKind::UnexpectedEof.into()))
//! # }
//! /// A silent client is sent away after `IDLE`, and not a moment before.
//! async fn silent_client_is_sent_away() -> io::Result<()> {
//!     let clock = baton::Handle::current()?;
//!     let start = clock.reactor().now();
//!     let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//!     let addr = listener.local_addr()?;
//!     baton::spawn(serve(listener, Room::default()))?.detach();
//!
//!     let client = TcpStream::connect(addr).await?;
//!     let mut lines = BufReader::new(&client).lines();
//!     next_line(&mut lines).await?; // the welcome
//!     assert_eq!(next_line(&mut lines).await?, "bye: idle");
//!     assert!(clock.reactor().now() - start >= IDLE);
//!     Ok(())
//! }
//! #[baton::test(virtual_time, timeout = "10s")]
//! async fn silent_clients_leave_after_a_minute() -> io::Result<()> {
//!     silent_client_is_sent_away().await
//! }
//! # // What `cargo test` runs for that test:
//! # fn main() {
//! #     let options = baton::rt::TestOptions::new(baton::RuntimeOptions::for_tests())
//! #         .virtual_time()
//! #         .timeout(Duration::from_secs(10));
//! #     baton::rt::test(options, silent_client_is_sent_away);
//! # }
//! ```
//!
//! # 6. On every reactor × executor pair
//!
//! The server is portable code, so prove it: `each_pair` runs the test on
//! epoll and poll, each with the local and the multi-thread executor, and
//! reports **every** pair that fails, by name (`failed on 2 pairs: epoll×multi:
//! ..., poll×multi: ...`), not only the first.
//!
//! ```
//! # use std::io;
//! # use std::sync::atomic::{AtomicU64, Ordering};
//! # use std::sync::{Arc, Mutex};
//! # use std::time::Duration;
//! #
//! # use baton::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! # use baton::net::{TcpListener, TcpStream};
//! # use baton::stream::StreamExt;
//! #
//! # /// How long a client may stay silent before it is sent away.
//! # pub const IDLE: Duration = Duration::from_secs(60);
//! #
//! # /// Everyone in the room.
//! # #[derive(Clone, Default)]
//! # pub struct Room {
//! #     peers: Arc<Mutex<Vec<(u64, Arc<TcpStream>)>>>,
//! #     next_id: Arc<AtomicU64>,
//! # }
//! #
//! # impl Room {
//! #     fn join(&self, stream: Arc<TcpStream>) -> u64 {
//! #         let id = self.next_id.fetch_add(1, Ordering::Relaxed);
//! #         self.lock().push((id, stream));
//! #         id
//! #     }
//! #
//! #     fn leave(&self, id: u64) {
//! #         self.lock().retain(|(peer, _)| *peer != id);
//! #     }
//! #
//! #     /// A snapshot: the lock is not held while we write.
//! #     fn others(&self, id: u64) -> Vec<Arc<TcpStream>> {
//! #         let peers = self.lock();
//! #         peers.iter().filter(|(p, _)| *p != id).map(|(_, s)| s.clone()).collect()
//! #     }
//! #
//! #     fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<TcpStream>)>> {
//! #         self.peers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
//! #     }
//! # }
//! #
//! # /// Accepts clients for ever, one task each.
//! # pub async fn serve(listener: TcpListener, room: Room) -> io::Result<()> {
//! #     loop {
//! #         let (stream, _) = listener.accept().await?;
//! #         let room = room.clone();
//! #         baton::spawn(async move {
//! #             if let Err(e) = client(stream, room).await {
//! #                 eprintln!("client: {e}");
//! #             }
//! #         })?
//! #         .detach();
//! #     }
//! # }
//! #
//! # /// One client: greet it, then send each of its lines to the others, until
//! # /// it leaves or stays silent for `IDLE`.
//! # async fn client(stream: TcpStream, room: Room) -> io::Result<()> {
//! #     let stream = Arc::new(stream);
//! #     let id = room.join(stream.clone());
//! #     (&*stream).write_all(format!("welcome, you are {id}\n").as_bytes()).await?;
//! #     let mut lines = BufReader::new(&*stream).lines();
//! #     loop {
//! #         let line = match baton::timeout(IDLE, lines.next()).await {
//! #             Ok(Some(line)) => line?,
//! #             Ok(None) => break, // the client left
//! #             Err(_) => {
//! #                 (&*stream).write_all(b"bye: idle\n").await?;
//! #                 break;
//! #             }
//! #         };
//! #         let said = format!("{id}: {line}\n");
//! #         for peer in room.others(id) {
//! #             // One peer gone must not stop the others.
//! #             let _ = (&*peer).write_all(said.as_bytes()).await;
//! #         }
//! #     }
//! #     room.leave(id);
//! #     Ok(())
//! # }
//! # /// Two clients: each reads its welcome, then one talks and the other hears it.
//! # async fn two_clients_chat() -> io::Result<()> {
//! #     let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//! #     let addr = listener.local_addr()?;
//! #     baton::spawn(serve(listener, Room::default()))?.detach();
//! #
//! #     let ada = TcpStream::connect(addr).await?;
//! #     let mut ada_lines = BufReader::new(&ada).lines();
//! #     let bob = TcpStream::connect(addr).await?;
//! #     let mut bob_lines = BufReader::new(&bob).lines();
//! #     let welcome = next_line(&mut ada_lines).await?;
//! #     next_line(&mut bob_lines).await?;
//! #
//! #     (&ada).write_all(b"hello\n").await?;
//! #     let ada_id = welcome.trim_start_matches("welcome, you are ");
//! #     assert_eq!(next_line(&mut bob_lines).await?, format!("{ada_id}: hello"));
//! #     Ok(())
//! # }
//! #
//! # /// The next line, or `UnexpectedEof` if the server hung up.
//! # async fn next_line<L>(lines: &mut L) -> io::Result<String>
//! # where
//! #     L: baton::stream::Stream<Item = io::Result<String>> + Unpin,
//! # {
//! #     lines.next().await.unwrap_or_else(|| Err(io::ErrorKind::UnexpectedEof.into()))
//! # }
//! # /// A silent client is sent away after `IDLE`, and not a moment before.
//! # async fn silent_client_is_sent_away() -> io::Result<()> {
//! #     let clock = baton::Handle::current()?;
//! #     let start = clock.reactor().now();
//! #     let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//! #     let addr = listener.local_addr()?;
//! #     baton::spawn(serve(listener, Room::default()))?.detach();
//! #
//! #     let client = TcpStream::connect(addr).await?;
//! #     let mut lines = BufReader::new(&client).lines();
//! #     next_line(&mut lines).await?; // the welcome
//! #     assert_eq!(next_line(&mut lines).await?, "bye: idle");
//! #     assert!(clock.reactor().now() - start >= IDLE);
//! #     Ok(())
//! # }
//! #[baton::test(virtual_time, each_pair, timeout = "30s")]
//! async fn the_server_works_on_every_pair() -> io::Result<()> {
//!     two_clients_chat().await?;
//!     silent_client_is_sent_away().await
//! }
//! # async fn both() -> io::Result<()> {
//! #     two_clients_chat().await?;
//! #     silent_client_is_sent_away().await
//! # }
//! # fn main() {
//! #     let options = baton::rt::TestOptions::new(baton::RuntimeOptions::for_tests())
//! #         .virtual_time()
//! #         .each_pair()
//! #         .timeout(Duration::from_secs(30));
//! #     baton::rt::test(options, both);
//! # }
//! ```
//!
//! `#[baton::test(chaos)]` runs a test under seeded fault injection instead
//! (spurious wake-ups, short reads and writes); a failure prints the
//! `BATON_SEED=..` that replays it.
