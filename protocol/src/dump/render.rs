//! The text of a dump: task lines, groups of identical waits, wait cycles,
//! and durations in words.

use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::time::Duration;

use super::{Dump, TaskDump, TaskState, WakerKept};
use crate::reactor::Direction;
use crate::task::TaskId;
use crate::wait::WaitFor;

/// A duration for people: "45 µs", "52 ms", "2.3 s", "4 min 12 s".
pub(crate) struct Human(pub(crate) Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let secs = d.as_secs();
        if secs >= 3600 {
            write!(f, "{} h {} min", secs / 3600, secs % 3600 / 60)
        } else if secs >= 60 {
            write!(f, "{} min {} s", secs / 60, secs % 60)
        } else if secs >= 10 {
            write!(f, "{secs} s")
        } else if secs >= 1 {
            write!(f, "{}.{} s", secs, d.subsec_millis() / 100)
        } else if d.as_millis() >= 1 {
            write!(f, "{} ms", d.as_millis())
        } else if d.as_micros() >= 1 {
            write!(f, "{} µs", d.as_micros())
        } else {
            write!(f, "{} ns", d.as_nanos())
        }
    }
}

/// What a pending task waits on, in words, at the moment of the dump.
struct Wait<'a>(&'a TaskDump, &'a WaitFor);

impl fmt::Display for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let now = self.0.taken_at;
        match *self.1 {
            WaitFor::Deadline(at) if at < now => write!(
                f,
                "{} (the runtime is behind: it is due and has not fired)",
                self.1.at(now)
            ),
            WaitFor::Promise(id) => write!(f, "Promise {id} to be completed"),
            ref other => other.at(now).fmt(f),
        }
    }
}

/// Where and by whom a task was started: "spawned at src/x.rs:4 by task 1".
fn origin(f: &mut fmt::Formatter<'_>, task: &TaskDump) -> fmt::Result {
    write!(f, "spawned at {}", Place(task.location))?;
    if let Some(parent) = task.parent {
        write!(f, " by {parent}")?;
    }
    Ok(())
}

struct Place(&'static Location<'static>);

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0.file(), self.0.line())
    }
}

/// The sentence said of a task that returned `Pending` without reporting
/// what it waits on.
fn no_report(f: &mut fmt::Formatter<'_>, kept: WakerKept) -> fmt::Result {
    f.write_str(
        "waits on something that reports no wait to baton (not a baton socket, timer, \
         Promise or task: a channel or lock from another crate, say)",
    )?;
    f.write_str(match kept {
        WakerKept::Yes => "; its waker was kept, so a wake can still come",
        WakerKept::No => "; its waker was NOT kept: nothing can ever wake it (a lost waker)",
        WakerKept::Unknown => {
            "; whether it kept its waker is unknown (the lost-waker check is off)"
        }
    })
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (", self.id)?;
        if let Some(name) = &self.name {
            write!(f, "{name}, ")?;
        }
        if self.blocking {
            f.write_str("blocking job, ")?;
        }
        origin(f, self)?;
        f.write_str(") ")?;
        match (self.state, &self.waits_for) {
            (TaskState::Scheduled, _) if self.polls == 0 => {
                f.write_str("is runnable: spawned, not polled yet")?;
            }
            (TaskState::Scheduled, _) => f.write_str("is runnable: woken, not polled since")?,
            (TaskState::Running, _) => f.write_str("is running")?,
            (TaskState::Waiting, Some(wait)) => write!(f, "waits for {}", Wait(self, wait))?,
            (TaskState::Waiting, None) => no_report(f, self.waker_kept)?,
        }
        f.write_str(" [")?;
        match (self.state, self.since) {
            (TaskState::Waiting, Some(since)) => write!(f, "waiting {}; ", Human(since))?,
            (TaskState::Running, Some(since)) => {
                write!(f, "in this poll for {}; ", Human(since))?;
            }
            (TaskState::Scheduled, Some(since)) if self.polls > 0 => {
                write!(f, "last poll ended {} ago; ", Human(since))?;
            }
            _ => {}
        }
        match (self.polls, self.state) {
            (0, TaskState::Running) => f.write_str("its first poll")?,
            (0, _) => f.write_str("never polled")?,
            (1, _) => f.write_str("polled once")?,
            (n, _) => write!(f, "polled {n} times")?,
        }
        if let Some(time) = self.poll_time.filter(|_| self.polls > 0) {
            write!(f, ", {} in polls", Human(time))?;
        }
        f.write_str("]")
    }
}

/// What tasks of one group have in common, but for their ids, names and
/// durations.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct GroupKey {
    file: &'static str,
    line: u32,
    state: TaskState,
    blocking: bool,
    wait: WaitKind,
}

/// A [`WaitFor`] without its instance: which fd, deadline, Promise or task.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum WaitKind {
    Unreported,
    Io(Direction),
    Deadline,
    Promise,
    Task,
    Label(&'static str),
    Forever(&'static str),
    Other,
}

impl GroupKey {
    fn of(task: &TaskDump) -> GroupKey {
        let wait = match (task.state, task.waits_for) {
            (TaskState::Waiting, None) => WaitKind::Unreported,
            (TaskState::Waiting, Some(WaitFor::Io { dir, .. })) => WaitKind::Io(dir),
            (TaskState::Waiting, Some(WaitFor::Deadline(_))) => WaitKind::Deadline,
            (TaskState::Waiting, Some(WaitFor::Promise(_))) => WaitKind::Promise,
            (TaskState::Waiting, Some(WaitFor::Task(_))) => WaitKind::Task,
            (TaskState::Waiting, Some(WaitFor::Label(label))) => WaitKind::Label(label),
            (TaskState::Waiting, Some(WaitFor::Forever(what))) => WaitKind::Forever(what),
            _ => WaitKind::Other,
        };
        GroupKey {
            file: task.location.file(),
            line: task.location.line(),
            state: task.state,
            blocking: task.blocking,
            wait,
        }
    }
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.state, self.wait) {
            (TaskState::Scheduled, _) => f.write_str("are runnable"),
            (TaskState::Running, _) => f.write_str("are running"),
            (_, WaitKind::Unreported) => {
                f.write_str("wait on something that reports no wait to baton")
            }
            (_, WaitKind::Io(dir)) => write!(f, "wait for an fd {dir}"),
            (_, WaitKind::Deadline) => f.write_str("wait for timers"),
            (_, WaitKind::Promise) => f.write_str("wait for Promises to be completed"),
            (_, WaitKind::Task) => f.write_str("wait for other tasks to finish"),
            (_, WaitKind::Label(label)) => write!(f, "wait for {label}"),
            (_, WaitKind::Forever(what)) => write!(f, "wait for ever ({what})"),
            (_, WaitKind::Other) => f.write_str("wait"),
        }
    }
}

/// The summary line of a group of identical tasks.
fn group_line(f: &mut fmt::Formatter<'_>, key: GroupKey, members: &[&TaskDump]) -> fmt::Result {
    let kind = if key.blocking {
        "blocking jobs"
    } else {
        "tasks"
    };
    write!(
        f,
        "{} {kind} spawned at {}:{} {key}: ",
        members.len(),
        key.file,
        key.line
    )?;
    for task in members.iter().take(3) {
        write!(f, "{}, ", task.id)?;
    }
    if let Some(last) = members.last() {
        write!(f, "… {}", last.id)?;
    }
    let since = members.iter().filter_map(|t| t.since);
    if let (Some(least), Some(most)) = (since.clone().min(), since.max()) {
        let what = match key.state {
            TaskState::Waiting => "waiting",
            TaskState::Running => "in their polls for",
            TaskState::Scheduled => "last polled",
        };
        write!(f, " [{what} {} to {}]", Human(least), Human(most))?;
    }
    writeln!(f)
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.header(f)?;
        let mut groups: HashMap<GroupKey, Vec<&TaskDump>> = HashMap::new();
        if !f.alternate() {
            for task in &self.tasks {
                groups.entry(GroupKey::of(task)).or_default().push(task);
            }
            groups.retain(|_, members| members.len() > Dump::GROUP_AT);
        }
        for task in &self.tasks {
            let key = GroupKey::of(task);
            match groups.get(&key) {
                Some(members) if members[0].id == task.id => group_line(f, key, members)?,
                Some(_) => {}
                None => writeln!(f, "{task}")?,
            }
        }
        for cycle in self.wait_cycles() {
            self.deadlock(f, &cycle)?;
        }
        Ok(())
    }
}

impl Dump {
    fn header(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.tasks.len();
        write!(
            f,
            "baton task dump: {n} task{}",
            if n == 1 { "" } else { "s" }
        )?;
        if n > 0 {
            let count = |state| self.tasks.iter().filter(|t| t.state == state).count();
            write!(
                f,
                " ({} waiting, {} runnable, {} running)",
                count(TaskState::Waiting),
                count(TaskState::Scheduled),
                count(TaskState::Running)
            )?;
        }
        if self.shutting_down {
            f.write_str("; the runtime is shutting down: these tasks are being dropped")?;
        }
        if n > 0 && !self.timed {
            f.write_str("; durations not measured (the executor's poll timing is off)")?;
        }
        writeln!(f)
    }

    fn deadlock(&self, f: &mut fmt::Formatter<'_>, cycle: &[TaskId]) -> fmt::Result {
        let label = |f: &mut fmt::Formatter<'_>, id: TaskId| {
            write!(f, "{id}")?;
            match self.task(id).and_then(|t| t.name.as_deref()) {
                Some(name) => write!(f, " ({name})"),
                None => Ok(()),
            }
        };
        f.write_str("deadlock: ")?;
        label(f, cycle[0])?;
        for &id in &cycle[1..] {
            f.write_str(" waits for ")?;
            label(f, id)?;
            f.write_str(", which")?;
        }
        writeln!(f, " waits for {} to finish: none of them can", cycle[0])
    }
}

/// See [`Dump::wait_cycles`]: each waiting task waits for at most one
/// task, so following those edges from every task finds every cycle.
pub(super) fn wait_cycles(dump: &Dump) -> Vec<Vec<TaskId>> {
    let next: HashMap<TaskId, TaskId> = dump
        .tasks
        .iter()
        .filter(|t| t.state == TaskState::Waiting)
        .filter_map(|t| match t.waits_for {
            Some(WaitFor::Task(on)) => Some((t.id, on)),
            _ => None,
        })
        .collect();
    let mut cycles = Vec::new();
    let mut seen: HashMap<TaskId, usize> = HashMap::new();
    let mut starts: Vec<_> = next.keys().copied().collect();
    starts.sort();
    for (walk, start) in starts.into_iter().enumerate() {
        let mut path = Vec::new();
        let mut at = start;
        loop {
            match seen.get(&at) {
                Some(&w) if w == walk => {
                    // Back at a task of this walk: the path from it on is a
                    // cycle.
                    let from = path.iter().position(|&id| id == at).unwrap_or(0);
                    let mut cycle = path[from..].to_vec();
                    let least = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                    cycle.rotate_left(least);
                    cycles.push(cycle);
                    break;
                }
                Some(_) => break,
                None => {}
            }
            seen.insert(at, walk);
            path.push(at);
            match next.get(&at) {
                Some(&on) => at = on,
                None => break,
            }
        }
    }
    cycles.sort();
    cycles
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn id(n: u64) -> TaskId {
        TaskId::new(n).unwrap()
    }

    fn task(n: u64, state: TaskState, wait: Option<WaitFor>, now: Instant) -> TaskDump {
        TaskDump::new(id(n), Location::caller(), state, now).waits_for(wait)
    }

    #[test]
    fn durations_read_as_words() {
        let cases = [
            (Duration::from_nanos(300), "300 ns"),
            (Duration::from_micros(45), "45 µs"),
            (Duration::from_millis(52), "52 ms"),
            (Duration::from_millis(2_345), "2.3 s"),
            (Duration::from_secs(42), "42 s"),
            (Duration::from_secs(252), "4 min 12 s"),
            (Duration::from_secs(7_500), "2 h 5 min"),
        ];
        for (d, words) in cases {
            assert_eq!(Human(d).to_string(), words);
        }
    }

    #[test]
    fn deadlines_say_which_side_of_now_they_are() {
        let now = Instant::now();
        let ahead = task(
            1,
            TaskState::Waiting,
            Some(WaitFor::Deadline(now + Duration::from_millis(3))),
            now,
        );
        assert!(
            ahead
                .to_string()
                .contains("waits for a timer that fires in 3 ms"),
            "{ahead}"
        );
        let behind = task(
            2,
            TaskState::Waiting,
            Some(WaitFor::Deadline(now - Duration::from_millis(52))),
            now + Duration::ZERO,
        );
        assert!(
            behind
                .to_string()
                .contains("a timer overdue by 52 ms (the runtime is behind"),
            "{behind}"
        );
    }

    #[test]
    fn unreported_waits_say_what_is_known() {
        let now = Instant::now();
        let line = task(3, TaskState::Waiting, None, now)
            .waker_kept(WakerKept::Yes)
            .polls(2, Some(Duration::from_micros(7)))
            .since(Some(Duration::from_secs(3)))
            .to_string();
        assert!(line.contains("reports no wait to baton"), "{line}");
        assert!(line.contains("its waker was kept"), "{line}");
        assert!(
            line.ends_with("[waiting 3.0 s; polled 2 times, 7 µs in polls]"),
            "{line}"
        );
    }

    #[test]
    fn many_identical_waits_make_one_line() {
        let now = Instant::now();
        let mut dump = Dump::new(now).timed(true);
        let fd = |n| WaitFor::Io {
            fd: n,
            dir: Direction::Read,
        };
        for n in 1..=20 {
            let wait = Some(fd(n as i32 + 100));
            dump.tasks.push(
                TaskDump::new(id(n), Location::caller(), TaskState::Waiting, now)
                    .waits_for(wait)
                    .since(Some(Duration::from_millis(n))),
            );
        }
        dump.tasks
            .push(task(21, TaskState::Waiting, Some(WaitFor::Promise(4)), now));
        let text = dump.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[1].starts_with("20 tasks spawned at ")
                && lines[1].contains("wait for an fd readable: task 1, task 2, task 3, … task 20")
                && lines[1].ends_with("[waiting 1 ms to 20 ms]"),
            "{text}"
        );
        assert!(lines[2].contains("waits for Promise 4"), "{text}");
        // The alternate form lists every task.
        assert_eq!(format!("{dump:#}").lines().count(), 22);
    }

    #[test]
    fn wait_cycles_are_deadlocks() {
        let now = Instant::now();
        let on = |n| Some(WaitFor::Task(id(n)));
        let mut dump = Dump::new(now);
        dump.tasks = vec![
            task(1, TaskState::Waiting, on(2), now).name(Some("left".into())),
            task(2, TaskState::Waiting, on(1), now).name(Some("right".into())),
            task(3, TaskState::Waiting, on(1), now),
            task(4, TaskState::Waiting, on(5), now),
            task(5, TaskState::Waiting, on(6), now),
            task(6, TaskState::Waiting, on(4), now),
            // Runnable: its wait is over, so it is in no cycle.
            task(7, TaskState::Scheduled, on(7), now),
        ];
        assert_eq!(
            dump.wait_cycles(),
            vec![vec![id(1), id(2)], vec![id(4), id(5), id(6)]]
        );
        let text = dump.to_string();
        assert!(
            text.contains(
                "deadlock: task 1 (left) waits for task 2 (right), which waits for task 1 \
                 to finish: none of them can"
            ),
            "{text}"
        );
    }
}
