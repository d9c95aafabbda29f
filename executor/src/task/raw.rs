//! One allocation per task: the crate's only `unsafe` code.
//!
//! A task's record ([`TaskInfo`]) is read by its future on every poll (the
//! cancel flag, the state and wait report it writes, the registry slot it
//! leaves), by its join handle, and by the registry (shutdown, `abort`,
//! dumps). Shared through an `Arc`, it cost a second allocation per task
//! (valgrind dhat, `baton-bench run baton-epoll-local spawn_inside`: 2
//! allocations and 284 bytes per task, against 1 allocation once the record
//! moved into the task). So the record is the async-task metadata, inside
//! the task's own allocation, where async-task writes it before it creates
//! the future and never moves it; it is dropped only when the allocation is
//! freed, after the future (async-task's `destroy`).
//!
//! Four things need `unsafe` for that, and a fifth sits here because it is
//! one `unsafe` intrinsic: [`prefetch`], a cache hint about a queued
//! task's allocation.
//!
//! - the future borrows the record: [`Builder::spawn_unchecked`] is the
//!   async-task entry point that hands the future a reference to its
//!   metadata ([`spawn`], and [`spawn_local`] for futures that are not
//!   `Send`, whose thread is checked against their executor's);
//! - the registry reaches the record of each registered task: a [`TaskRef`]
//!   is a waker of the task, which keeps the allocation, and so the record,
//!   alive, and finds the record at a fixed distance from the task address
//!   the waker carries (measured, and checked at every registration: 8
//!   bytes per registered task less than keeping the address);
//! - a join handle reaches the record too ([`TaskHandle`]): async-task's
//!   `FallibleTask`, which join handles need (a plain `Task` panics when
//!   polled after shutdown dropped its runnable), has no `metadata()`, so
//!   the record's address is kept next to it;
//! - the record's cold part and its packed wait report share one word
//!   ([`PackedOrBox`]): 8 bytes that keep a small task in a 128-byte
//!   `malloc` chunk (with two words, `spawn_inside`'s task asked for 128
//!   bytes, took a 144-byte chunk outside glibc's fast bins, and spawned
//!   1.5× slower).
//!
//! The hint reads nothing: it is sound for any address, and compiled out
//! under miri, which does not model the cache.
//!
//! [`Builder::spawn_unchecked`]: async_task::Builder::spawn_unchecked

#![allow(
    unsafe_code,
    reason = "a task's future and the registry borrow the record inside the task allocation, and queued tasks are prefetched; this module argues each"
)]

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use async_task::{Builder, FallibleTask, ScheduleInfo, Task, WithInfo};

use super::future::{Output, TaskFuture};
use super::{Runnable, TaskInfo};

/// Checks at compile time that the future handed to async-task is `Send`.
fn send<F: Future + Send>(future: F) -> F {
    future
}

/// Creates the task of a `Send` future.
pub(super) fn spawn<F, S>(
    builder: Builder<TaskInfo>,
    future: F,
    schedule: S,
) -> (Runnable, Task<Output<F::Output>, TaskInfo>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    let make = move |info| send(TaskFuture::new(future, info));
    // SAFETY: `spawn_unchecked`'s four conditions hold. The future is `Send`
    // (checked by `send`), so its runnable may be run and dropped anywhere.
    // It borrows nothing but the metadata it is handed (`future` is
    // `'static`), which async-task keeps in place until after the future is
    // dropped. The schedule function is `Send + Sync + 'static`.
    unsafe { builder.spawn_unchecked(make, WithInfo(schedule)) }
}

/// Creates the task of a future that is not `Send`, for a local executor,
/// on its owner thread; the process aborts if that is not the current
/// thread, or if the future is ever polled or dropped on another thread
/// (see [`check_thread`]).
pub(super) fn spawn_local<F, S>(
    builder: Builder<TaskInfo>,
    future: F,
    schedule: S,
) -> (Runnable, Task<Output<F::Output>, TaskInfo>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    let make = move |info| {
        check_thread(info);
        TaskFuture::new(future, info)
    };
    // SAFETY: as in `spawn`, except that the future is not `Send`. Its
    // record is marked local, and `check_thread` aborts the process unless
    // the current thread is its executor's owner thread: when the future is
    // created (here), and whenever `TaskFuture` is about to poll or drop it.
    // So the future, and with it the runnable, is used and dropped only on
    // the thread that created it: async-task's own `spawn_local` makes the
    // same check, with the thread id stored in every task.
    unsafe { builder.spawn_unchecked(make, WithInfo(schedule)) }
}

/// Aborts the process if the current thread may not poll or drop the
/// future of the task of `info`: a local task's future, off its executor's
/// owner thread. What makes [`spawn_local`] sound.
#[inline]
pub(super) fn check_thread(info: &TaskInfo) {
    if info.is_local() && !info.core.is_owner_thread() {
        // Neither touching the future nor leaking it (it is pinned inside
        // the task) is sound here.
        std::process::abort();
    }
}

/// How far a task's record lies from the task address its wakers carry
/// (`Waker::data`, async-task's pointer to the task allocation), in bytes;
/// `usize::MAX` until the first [`TaskRef`] measures it.
///
/// The record is async-task's metadata, a field of its task header, so the
/// distance depends only on that header's layout for [`TaskInfo`]: one
/// value for every task of the process. [`TaskRef::new`] checks it for each
/// task all the same, since the unsafe read in [`TaskRef::info`] rests on
/// it.
static RECORD_OFFSET: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Asks the CPU to start loading the first lines of `task`'s allocation
/// (async-task's header and the record, which running it reads first), so
/// that a task queued long ago is in the cache by the time it runs.
#[inline]
pub(crate) fn prefetch(task: &Runnable) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let record = ptr::from_ref(task.metadata()).cast::<i8>();
        for offset in [-32, 32] {
            // SAFETY: a prefetch is a hint: it reads nothing the program
            // sees and never faults, whatever the address (`wrapping_offset`
            // keeps the pointer arithmetic defined). SSE, the only target
            // feature it needs, is part of every x86_64 target.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(record.wrapping_offset(offset)) };
        }
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = task;
}

/// A registered task as the registry holds it: a waker of the task, through
/// which the registry also reaches the task's record.
///
/// # Invariant
///
/// The metadata of the task that `waker` wakes lies [`RECORD_OFFSET`] bytes
/// after `waker.data()`. The waker holds a reference to that task, so its
/// allocation is not freed, and the metadata (which async-task never moves
/// and drops only when it frees the allocation) stays valid, for as long
/// as this value lives.
pub(crate) struct TaskRef {
    waker: Waker,
}

// A `TaskRef` is `Send` and `Sync` as its waker is, and hands out
// `&TaskInfo` wherever it goes: sound only while the record is `Sync`.
const _: () = {
    const fn sync<T: Sync>() {}
    sync::<TaskInfo>();
};

impl TaskRef {
    /// The registry's reference to the task of `runnable`.
    ///
    /// # Panics
    ///
    /// If the record is not where the first task's was, which would mean
    /// async-task laid out two task headers of one type differently; a
    /// `TaskRef` then could not find its record.
    pub(crate) fn new(runnable: &Runnable) -> TaskRef {
        let waker = runnable.waker();
        let offset = ptr::from_ref(runnable.metadata())
            .addr()
            .wrapping_sub(waker.data().addr());
        // A load, not a read-modify-write, once the distance is known: no
        // spawn writes the shared cache line after the first.
        let known = match RECORD_OFFSET.load(Ordering::Relaxed) {
            usize::MAX => RECORD_OFFSET
                .compare_exchange(usize::MAX, offset, Ordering::Relaxed, Ordering::Relaxed)
                .map_or_else(|known| known, |_| offset),
            known => known,
        };
        assert_eq!(known, offset, "a task record moved within its header");
        TaskRef { waker }
    }

    /// The task's record.
    pub(crate) fn info(&self) -> &TaskInfo {
        // Set before this value was made (`new`), on this thread or on one
        // that handed the value over through the registry's lock; never
        // changed afterwards.
        let offset = RECORD_OFFSET.load(Ordering::Relaxed);
        // SAFETY: per the invariant, `offset` bytes past the waker's task
        // address, inside the same allocation (the pointer keeps the
        // waker's provenance), lies the record, alive while `self` is; it
        // is only ever accessed through shared references.
        unsafe {
            &*self
                .waker
                .data()
                .cast::<u8>()
                .wrapping_add(offset)
                .cast::<TaskInfo>()
        }
    }

    /// A waker of the task.
    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }

    /// Whether this is the registry's reference to the task of `info`.
    pub(crate) fn is(&self, info: &TaskInfo) -> bool {
        ptr::eq(self.info(), info)
    }
}

/// A join handle's hold on its task: async-task's handle, and the task's
/// record.
///
/// # Invariant
///
/// `info` is the address of the metadata of `task`'s task. `task` keeps
/// that task's allocation, and so the metadata, alive for as long as this
/// value lives; it is never replaced (no `&mut` to it is handed out).
pub(crate) struct TaskHandle<T> {
    task: FallibleTask<Output<T>, TaskInfo>,
    info: NonNull<TaskInfo>,
}

// SAFETY: the fields are what a `FallibleTask<Output<T>, TaskInfo>` is
// (`Send` when `T` is, async-task says) plus shared access to a `TaskInfo`,
// which is `Sync`; the invariant keeps the record valid wherever this goes.
unsafe impl<T: Send> Send for TaskHandle<T> {}
// SAFETY: only `&TaskInfo` (`Sync`) and `&FallibleTask` (`Sync`: its
// metadata is `Send + Sync`) are reachable through a shared reference.
unsafe impl<T> Sync for TaskHandle<T> {}

impl<T> TaskHandle<T> {
    pub(crate) fn new(task: Task<Output<T>, TaskInfo>) -> TaskHandle<T> {
        TaskHandle {
            info: NonNull::from(task.metadata()),
            task: task.fallible(),
        }
    }

    /// The task's record.
    pub(crate) fn info(&self) -> &TaskInfo {
        // SAFETY: per the invariant, the record is alive while `self` is, and
        // it is only ever accessed through shared references.
        unsafe { self.info.as_ref() }
    }

    /// Polls for the task's output: `None` if its runnable was dropped
    /// before it finished (shutdown).
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Output<T>>> {
        Pin::new(&mut self.task).poll(cx)
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Lets the task run on; its output is dropped when it finishes.
    pub(crate) fn detach(self) {
        self.task.detach();
    }
}

/// One word holding either a packed value of up to 63 bits or, once
/// boxed, a `T` it owns; boxed is for good.
///
/// # Invariant
///
/// The word's address is odd for a packed value (`value << 1 | 1`, a
/// pointer without provenance, never dereferenced), and otherwise comes
/// from `Box::into_raw` (even, since `T` is aligned to 2 or more): the
/// box this value owns, freed only by its `Drop`. A boxed word is never
/// replaced but by [`update_packed`](PackedOrBox::update_packed) racing a box
/// made on another thread, which leaks that box rather than free it.
pub(crate) struct PackedOrBox<T> {
    word: AtomicPtr<T>,
    /// Owns a `T`: `Send` and `Sync` only as `Box<T>` is.
    owns: PhantomData<Box<T>>,
}

impl<T> PackedOrBox<T> {
    const EVEN: () = assert!(align_of::<T>() >= 2, "a boxed word must be even");

    fn tag(value: u64) -> *mut T {
        // The top bit is dropped: values are documented as 63 bits.
        let bits = usize::try_from(value << 1 | 1).unwrap_or(usize::MAX);
        ptr::without_provenance_mut(bits)
    }

    /// A word holding `value` (its low 63 bits).
    pub(crate) fn packed(value: u64) -> PackedOrBox<T> {
        PackedOrBox {
            word: AtomicPtr::new(Self::tag(value)),
            owns: PhantomData,
        }
    }

    /// A word holding `value`, boxed.
    pub(crate) fn boxed(value: Box<T>) -> PackedOrBox<T> {
        let () = Self::EVEN;
        PackedOrBox {
            word: AtomicPtr::new(Box::into_raw(value)),
            owns: PhantomData,
        }
    }

    /// The boxed value, or the packed one.
    #[inline]
    pub(crate) fn get(&self) -> Result<&T, u64> {
        // Acquire: pairs with the release of the CAS that boxed it.
        Self::read(self.word.load(Ordering::Acquire))
    }

    /// The packed value of an odd word; `None` for a box.
    fn packed_value(word: *mut T) -> Option<u64> {
        (word.addr() & 1 == 1).then(|| u64::try_from(word.addr()).unwrap_or(u64::MAX) >> 1)
    }

    /// `word`, loaded with acquire ordering (or by the thread that stored
    /// it), as a reference or a packed value.
    fn read<'a>(word: *mut T) -> Result<&'a T, u64> {
        if let Some(value) = Self::packed_value(word) {
            return Err(value);
        }
        // SAFETY: per the invariant, an even word is the box this value
        // owns (or one leaked by a race), alive until this value is
        // dropped, so for at least as long as the `&self` the caller read
        // it through; boxes are only read through shared references.
        Ok(unsafe { &*word })
    }

    /// Replaces the packed value with `update(value)`, unless that is
    /// `None`; returns whether it did (false, too, once boxed). Meant for
    /// one writer at a time: a box made meanwhile on another thread would
    /// be leaked.
    #[inline]
    pub(crate) fn update_packed(&self, update: impl FnOnce(u64) -> Option<u64>) -> bool {
        // Relaxed: a box is never dereferenced here, only told apart.
        let Some(value) = Self::packed_value(self.word.load(Ordering::Relaxed)) else {
            return false;
        };
        match update(value) {
            Some(value) => {
                self.word.store(Self::tag(value), Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// The boxed value, boxing `make(packed value)` first if need be.
    pub(crate) fn get_or_box(&self, make: impl FnOnce(u64) -> Box<T>) -> &T {
        let () = Self::EVEN;
        let mut current = self.word.load(Ordering::Acquire);
        let packed = match Self::read(current) {
            Ok(boxed) => return boxed,
            Err(packed) => packed,
        };
        let new = Box::into_raw(make(packed));
        loop {
            match self
                .word
                .compare_exchange(current, new, Ordering::AcqRel, Ordering::Acquire)
            {
                // SAFETY: `new` came from `Box::into_raw` just above and is
                // now the word: the invariant holds, and the box lives as
                // long as `self`.
                Ok(_) => return unsafe { &*new },
                Err(actual) => match Self::read(actual) {
                    // Boxed meanwhile, on another thread: that box wins.
                    Ok(boxed) => {
                        // SAFETY: `new` never became the word: this is
                        // still its only pointer, from `Box::into_raw`.
                        drop(unsafe { Box::from_raw(new) });
                        return boxed;
                    }
                    Err(_) => current = actual,
                },
            }
        }
    }
}

impl<T> Drop for PackedOrBox<T> {
    fn drop(&mut self) {
        let word = *self.word.get_mut();
        if word.addr() & 1 == 0 {
            // SAFETY: per the invariant, an even word is the box this value
            // owns, and `&mut self` means no reference to it is left.
            drop(unsafe { Box::from_raw(word) });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;

    use super::super::Core;
    use super::super::testing::{Registry, record};
    use super::*;

    fn info(core: &Arc<Registry>) -> Builder<TaskInfo> {
        Builder::new().metadata(record(core))
    }

    #[test]
    fn one_allocation_holds_record_and_future() {
        let core = Registry::new();
        let (runnable, task) = spawn(info(&core), async { 5 }, |r, _| drop(r));
        let reference = TaskRef::new(&runnable);
        let handle = TaskHandle::new(task);
        assert!(reference.is(runnable.metadata()));
        assert!(reference.is(handle.info()));
        assert_eq!(core.0.alive(), 1);
        runnable.run();
        assert!(handle.is_finished());
        drop(handle);
        // The registry's waker keeps the allocation, and the record, alive.
        assert_eq!(core.0.alive(), 1);
        assert_eq!(reference.info().id.get(), 1);
        drop(reference);
        assert_eq!(core.0.alive(), 0);
    }

    #[test]
    fn a_packed_word_is_boxed_once_and_freed_with_it() {
        let word = PackedOrBox::<u64>::packed(7);
        assert_eq!(word.get(), Err(7));
        assert!(word.update_packed(|seven| (seven == 7).then_some((1 << 63) - 1)));
        assert!(!word.update_packed(|_| None));
        assert_eq!(word.get(), Err((1 << 63) - 1));
        let boxed = word.get_or_box(|packed| Box::new(packed + 1));
        assert_eq!(*boxed, 1 << 63);
        assert_eq!(word.get(), Ok(&(1 << 63)));
        // Boxed for good: no second box, no packed value over it.
        assert_eq!(*word.get_or_box(|_| Box::new(0)), 1 << 63);
        assert!(!word.update_packed(|_| Some(3)));
        assert_eq!(word.get(), Ok(&(1 << 63)));
        // Dropped with its box (miri checks that nothing leaks).
        let named = PackedOrBox::boxed(Box::new(String::from("cold")));
        assert_eq!(named.get().map(String::as_str), Ok("cold"));
    }

    #[test]
    fn boxing_from_two_threads_keeps_one_box() {
        let word = PackedOrBox::<u64>::packed(0);
        let word = &word;
        let seen: Vec<usize> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..2u64)
                .map(|i| s.spawn(move || ptr::from_ref(word.get_or_box(|_| Box::new(i))).addr()))
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("no panic"))
                .collect()
        });
        assert_eq!(seen[0], seen[1]);
        assert_eq!(word.get().map(|b| ptr::from_ref(b).addr()), Ok(seen[0]));
    }

    #[test]
    fn core_is_its_scheduler() {
        let a = Registry::new();
        let b = Registry::new();
        let core = Core::new(&a);
        assert!(core.clone().is(&a));
        assert!(!core.is(&b));
        assert!(std::ptr::eq(core.tasks(), &a.0));
    }

    /// Every byte of the record and of the output is paid by every task:
    /// glibc serves a request of up to `16k - 8` bytes from a `16k`-byte
    /// chunk, so 8 bytes off the request take 16 off the chunk for half of
    /// all future sizes. With the 40-byte record, the task of
    /// `spawn_inside` asks for 112 bytes (a 128-byte chunk) and an idle
    /// task of `idle_tasks` for 104 (112): dhat, `baton-bench run
    /// baton-epoll-local idle_tasks 10000`.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn task_parts_stay_small() {
        use std::mem::size_of;

        use super::super::JoinHandle;
        use super::super::future::Output;

        assert_eq!(size_of::<TaskInfo>(), 40);
        assert_eq!(size_of::<Output<()>>(), 16);
        assert_eq!(size_of::<TaskRef>(), 16);
        // Boxed by the protocol's handle: 24 bytes take a 32-byte chunk.
        assert_eq!(size_of::<JoinHandle<()>>(), 24);
    }
}
