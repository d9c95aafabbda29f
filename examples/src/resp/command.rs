//! The commands: lookup, arity, and each command's semantics and error
//! replies, as Redis 7.0 has them.

use std::time::{Duration, Instant};

use super::db::{Db, Ttl};
use super::number::parse_i64;
use super::parse::Args;
use super::reply::Replies;

/// What a command needs besides its arguments.
pub(crate) struct Ctx<'a> {
    pub(crate) db: &'a mut Db,
    /// The reactor's clock, read once per batch of commands.
    pub(crate) now: Instant,
    /// Wall-clock Unix time in milliseconds, read with `now`: what
    /// `EXAT` / `PXAT` count from, and what Redis' overflow checks of
    /// expire times are computed against.
    pub(crate) unix_ms: i64,
    pub(crate) out: &'a mut Replies,
    /// The most reply bytes a connection may hold (Redis'
    /// `client-output-buffer-limit`); past it the client is dropped.
    pub(crate) output_limit: usize,
}

/// What the connection does after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on with the next command.
    Continue,
    /// Write the replies so far, then close (`QUIT`).
    Close,
    /// Close at once, without writing anything more, for this reason.
    Drop(&'static str),
}

/// A command: its name, Redis' arity (`n`: exactly n arguments counting
/// the name; `-n`: at least n) and its implementation.
struct Command {
    name: &'static str,
    arity: i32,
    run: fn(&mut Ctx<'_>, &Args) -> Flow,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        run: ping,
    },
    Command {
        name: "echo",
        arity: 2,
        run: echo,
    },
    Command {
        name: "set",
        arity: -3,
        run: set,
    },
    Command {
        name: "get",
        arity: 2,
        run: get,
    },
    Command {
        name: "del",
        arity: -2,
        run: del,
    },
    Command {
        name: "exists",
        arity: -2,
        run: exists,
    },
    Command {
        name: "incr",
        arity: 2,
        run: incr,
    },
    Command {
        name: "decr",
        arity: 2,
        run: decr,
    },
    Command {
        name: "mget",
        arity: -2,
        run: mget,
    },
    Command {
        name: "mset",
        arity: -3,
        run: mset,
    },
    Command {
        name: "expire",
        arity: -3,
        run: expire,
    },
    Command {
        name: "ttl",
        arity: 2,
        run: ttl,
    },
    Command {
        name: "dbsize",
        arity: 1,
        run: dbsize,
    },
    Command {
        name: "flushdb",
        arity: -1,
        run: flushdb,
    },
];

const NOT_INTEGER: &[u8] = b"value is not an integer or out of range";
const SYNTAX: &[u8] = b"syntax error";
/// Why a client whose reply outgrew [`Ctx::output_limit`] is dropped.
pub(crate) const OUTPUT_LIMIT: &str = "its reply exceeded the output limit";

/// Runs the command in `args` (not empty), writing its reply.
pub(crate) fn execute(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    let name = args.get(0);
    // As Redis 7.0, which handles QUIT before looking commands up: any
    // arguments, `+OK`, then close.
    if name.eq_ignore_ascii_case(b"quit") {
        ctx.out.ok();
        return Flow::Close;
    }
    // Redis' guard against cross-protocol scripting: an HTTP request sent
    // to the port is dropped without a reply.
    if name.eq_ignore_ascii_case(b"post") || name.eq_ignore_ascii_case(b"host:") {
        return Flow::Drop("it sent an HTTP request (possible cross-protocol attack)");
    }
    let Some(command) = COMMANDS
        .iter()
        .find(|c| name.eq_ignore_ascii_case(c.name.as_bytes()))
    else {
        unknown_command(ctx.out, args);
        return Flow::Continue;
    };
    let argc = args.len() as i64;
    let arity = i64::from(command.arity);
    if (arity > 0 && argc != arity) || argc < -arity {
        wrong_arity(ctx.out, command.name);
        return Flow::Continue;
    }
    (command.run)(ctx, args)
}

/// The bytes of `arg` up to its first NUL: how Redis' `%s` and
/// `strcasecmp` see an argument.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter()
        .position(|&b| b == 0)
        .map_or(arg, |end| &arg[..end])
}

/// Whether option `arg` is `name`, compared as Redis' `strcasecmp` does.
fn is_option(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name.as_bytes())
}

/// `unknown command 'NAME', with args beginning with: 'a' 'b' `, with
/// Redis' truncation: the name to 128 bytes, the quoted arguments while
/// the list is shorter than 128 bytes, each cut to fit.
fn unknown_command(out: &mut Replies, args: &Args) {
    let name = c_str(args.get(0));
    let mut message = b"unknown command '".to_vec();
    message.extend_from_slice(&name[..name.len().min(128)]);
    message.extend_from_slice(b"', with args beginning with: ");
    let mut list = Vec::new();
    for arg in args.iter().skip(1) {
        if list.len() >= 128 {
            break;
        }
        let arg = c_str(arg);
        let room = 128 - list.len();
        list.push(b'\'');
        list.extend_from_slice(&arg[..arg.len().min(room)]);
        list.extend_from_slice(b"' ");
    }
    message.extend_from_slice(&list);
    out.error(&message);
}

fn wrong_arity(out: &mut Replies, name: &str) {
    out.error(format!("wrong number of arguments for '{name}' command").as_bytes());
}

fn invalid_expire(out: &mut Replies, name: &str) {
    out.error(format!("invalid expire time in '{name}' command").as_bytes());
}

/// The deadline `ms` milliseconds after `now` (now itself for `ms <= 0`).
///
/// # Return value
///
/// `None` if the clock cannot represent it; Redis' largest expire times
/// (about 292 million years) fit `Instant` on Linux, so this does not
/// happen there, and such a key would simply never expire.
fn deadline_after(now: Instant, ms: i64) -> Option<Instant> {
    match u64::try_from(ms) {
        Ok(ms) => now.checked_add(Duration::from_millis(ms)),
        Err(_) => Some(now),
    }
}

/// The Unix time in milliseconds at which a key expiring at `at` expires.
fn unix_deadline(ctx: &Ctx<'_>, at: Instant) -> i64 {
    let left = at.saturating_duration_since(ctx.now).as_millis();
    ctx.unix_ms
        .saturating_add(i64::try_from(left).unwrap_or(i64::MAX))
}

fn ping(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    match args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(args.get(1)),
        _ => wrong_arity(ctx.out, "ping"),
    }
    Flow::Continue
}

fn echo(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    ctx.out.bulk(args.get(1));
    Flow::Continue
}

fn get(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    match ctx.db.get(args.get(1), ctx.now) {
        Some(value) => ctx.out.bulk(value),
        None => ctx.out.nil(),
    }
    Flow::Continue
}

/// The expiry options of `SET`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExpireUnit {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// `SET key value [NX | XX] [GET] [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]`,
/// with the option rules of Redis' `parseExtendedStringArgumentsOrReply`.
fn set(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    let (mut nx, mut xx, mut get, mut keep_ttl) = (false, false, false, false);
    let mut expire: Option<(ExpireUnit, &[u8])> = None;
    let unit_is = |expire: Option<(ExpireUnit, &[u8])>, units: &[ExpireUnit]| {
        expire.is_some_and(|(unit, _)| units.contains(&unit))
    };
    let mut j = 3;
    while j < args.len() {
        let opt = args.get(j);
        let has_next = j + 1 < args.len();
        let next = args.get(j + 1);
        use ExpireUnit::{Ex, ExAt, Px, PxAt};
        if is_option(opt, "nx") && !xx {
            nx = true;
        } else if is_option(opt, "xx") && !nx {
            xx = true;
        } else if is_option(opt, "get") {
            get = true;
        } else if is_option(opt, "keepttl") && expire.is_none() {
            keep_ttl = true;
        } else if is_option(opt, "ex")
            && !keep_ttl
            && !unit_is(expire, &[ExAt, Px, PxAt])
            && has_next
        {
            expire = Some((Ex, next));
            j += 1;
        } else if is_option(opt, "px")
            && !keep_ttl
            && !unit_is(expire, &[Ex, ExAt, PxAt])
            && has_next
        {
            expire = Some((Px, next));
            j += 1;
        } else if is_option(opt, "exat")
            && !keep_ttl
            && !unit_is(expire, &[Ex, Px, PxAt])
            && has_next
        {
            expire = Some((ExAt, next));
            j += 1;
        } else if is_option(opt, "pxat")
            && !keep_ttl
            && !unit_is(expire, &[Ex, Px, ExAt])
            && has_next
        {
            expire = Some((PxAt, next));
            j += 1;
        } else {
            ctx.out.error(SYNTAX);
            return Flow::Continue;
        }
        j += 1;
    }

    let ttl = match expire {
        Some((unit, raw)) => match set_ttl(ctx, unit, raw) {
            Some(ttl) => ttl,
            None => return Flow::Continue,
        },
        None if keep_ttl => Ttl::Keep,
        None => Ttl::Clear,
    };
    let key = args.get(1);
    if get {
        match ctx.db.get(key, ctx.now) {
            Some(old) => ctx.out.bulk(old),
            None => ctx.out.nil(),
        }
    }
    let found = ctx.db.contains(key, ctx.now);
    if (nx && found) || (xx && !found) {
        if !get {
            ctx.out.nil();
        }
        return Flow::Continue;
    }
    ctx.db.set(key, args.get(2).to_vec(), ttl, ctx.now);
    if !get {
        ctx.out.ok();
    }
    Flow::Continue
}

/// The expiry `SET`'s option asks for, checked as Redis'
/// `getExpireMillisecondsOrReply` does.
///
/// # Return value
///
/// `None` after replying the error; a deadline the clock cannot represent
/// (see [`deadline_after`]) is no expiry.
fn set_ttl(ctx: &mut Ctx<'_>, unit: ExpireUnit, raw: &[u8]) -> Option<Ttl> {
    let Some(mut when) = parse_i64(raw) else {
        ctx.out.error(NOT_INTEGER);
        return None;
    };
    let seconds = matches!(unit, ExpireUnit::Ex | ExpireUnit::ExAt);
    if when <= 0 || (seconds && when > i64::MAX / 1000) {
        invalid_expire(ctx.out, "set");
        return None;
    }
    if seconds {
        when *= 1000;
    }
    if matches!(unit, ExpireUnit::Ex | ExpireUnit::Px) {
        match when.checked_add(ctx.unix_ms) {
            Some(absolute) => when = absolute,
            None => {
                invalid_expire(ctx.out, "set");
                return None;
            }
        }
    }
    Some(deadline_after(ctx.now, when - ctx.unix_ms).map_or(Ttl::Clear, Ttl::At))
}

fn del(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    let removed = args
        .iter()
        .skip(1)
        .filter(|key| ctx.db.remove(key, ctx.now))
        .count();
    ctx.out.integer(removed as i64);
    Flow::Continue
}

fn exists(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    let found = args
        .iter()
        .skip(1)
        .filter(|key| ctx.db.contains(key, ctx.now))
        .count();
    ctx.out.integer(found as i64);
    Flow::Continue
}

fn incr(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    incr_by(ctx, args.get(1), 1)
}

fn decr(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    incr_by(ctx, args.get(1), -1)
}

/// `INCR` / `DECR`: a missing key counts as 0; the expiry is kept.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], delta: i64) -> Flow {
    let current = match ctx.db.get(key, ctx.now) {
        None => 0,
        Some(value) => match parse_i64(value) {
            Some(n) => n,
            None => {
                ctx.out.error(NOT_INTEGER);
                return Flow::Continue;
            }
        },
    };
    let Some(value) = current.checked_add(delta) else {
        ctx.out.error(b"increment or decrement would overflow");
        return Flow::Continue;
    };
    ctx.db
        .set(key, value.to_string().into_bytes(), Ttl::Keep, ctx.now);
    ctx.out.integer(value);
    Flow::Continue
}

fn mget(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    ctx.out.array(args.len() - 1);
    for key in args.iter().skip(1) {
        match ctx.db.get(key, ctx.now) {
            Some(value) => ctx.out.bulk(value),
            None => ctx.out.nil(),
        }
        // One `MGET` of a large value, many times over, must not build an
        // unbounded reply.
        if ctx.out.len() > ctx.output_limit {
            return Flow::Drop(OUTPUT_LIMIT);
        }
    }
    Flow::Continue
}

fn mset(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    if args.len().is_multiple_of(2) {
        wrong_arity(ctx.out, "mset");
        return Flow::Continue;
    }
    let mut j = 1;
    while j + 1 < args.len() {
        ctx.db
            .set(args.get(j), args.get(j + 1).to_vec(), Ttl::Clear, ctx.now);
        j += 2;
    }
    ctx.out.ok();
    Flow::Continue
}

/// `EXPIRE key seconds [NX | XX | GT | LT]`, as Redis'
/// `expireGenericCommand`: options are checked first, then the number; a
/// time in the past deletes the key.
fn expire(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in args.iter().skip(3) {
        if is_option(opt, "nx") {
            nx = true;
        } else if is_option(opt, "xx") {
            xx = true;
        } else if is_option(opt, "gt") {
            gt = true;
        } else if is_option(opt, "lt") {
            lt = true;
        } else {
            ctx.out
                .error(&[&b"Unsupported option "[..], c_str(opt)].concat());
            return Flow::Continue;
        }
    }
    if nx && (xx || gt || lt) {
        ctx.out
            .error(b"NX and XX, GT or LT options at the same time are not compatible");
        return Flow::Continue;
    }
    if gt && lt {
        ctx.out
            .error(b"GT and LT options at the same time are not compatible");
        return Flow::Continue;
    }
    let Some(seconds) = parse_i64(args.get(2)) else {
        ctx.out.error(NOT_INTEGER);
        return Flow::Continue;
    };
    let Some(when) = seconds
        .checked_mul(1000)
        .and_then(|ms| ms.checked_add(ctx.unix_ms))
    else {
        invalid_expire(ctx.out, "expire");
        return Flow::Continue;
    };
    let key = args.get(1);
    let Some(current) = ctx.db.expiry(key, ctx.now) else {
        ctx.out.integer(0);
        return Flow::Continue;
    };
    let current = current.map(|at| unix_deadline(ctx, at));
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c));
    if refused {
        ctx.out.integer(0);
        return Flow::Continue;
    }
    if when <= ctx.unix_ms {
        ctx.db.remove(key, ctx.now);
    } else {
        let at = deadline_after(ctx.now, when - ctx.unix_ms);
        ctx.db.set_expiry(key, at);
    }
    ctx.out.integer(1);
    Flow::Continue
}

/// `TTL key`: -2 without the key, -1 without an expiry, else the seconds
/// left, rounded to the nearest.
fn ttl(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    let reply = match ctx.db.expiry(args.get(1), ctx.now) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => {
            let ms = at.saturating_duration_since(ctx.now).as_millis();
            i64::try_from((ms + 500) / 1000).unwrap_or(i64::MAX)
        }
    };
    ctx.out.integer(reply);
    Flow::Continue
}

/// `DBSIZE`: as in Redis, keys past their deadline count until the
/// expirer removes them, which it does when their timer fires.
fn dbsize(ctx: &mut Ctx<'_>, _args: &Args) -> Flow {
    ctx.out.integer(ctx.db.len() as i64);
    Flow::Continue
}

/// `FLUSHDB [ASYNC | SYNC]` (both flush at once here).
fn flushdb(ctx: &mut Ctx<'_>, args: &Args) -> Flow {
    let valid = match args.len() {
        1 => true,
        2 => is_option(args.get(1), "sync") || is_option(args.get(1), "async"),
        _ => false,
    };
    if valid {
        ctx.db.clear();
        ctx.out.ok();
    } else {
        ctx.out.error(SYNTAX);
    }
    Flow::Continue
}
