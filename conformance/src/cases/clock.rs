//! L. The clock: `time::now()` is the reactor's clock, virtual or not.

use std::time::Duration;

use baton_protocol::time::{self, sleep};

use crate::case::{Case, Outcome, case};
use crate::ctx::Ctx;
use crate::{ensure, ensure_eq};

pub(crate) const CASES: &[Case] = &[
    case!(
        "clock.now_is_the_reactor_clock",
        "inside a runtime time::now() reads the reactor's clock: between two reactor.now() reads",
        [],
        now_is_the_reactor_clock
    ),
    case!(
        "clock.now_moves_with_virtual_time",
        "under virtual time, an hour's sleep moves time::now() by exactly that hour",
        [VirtualTime],
        now_moves_with_virtual_time
    ),
];

fn now_is_the_reactor_clock(ctx: &Ctx) -> Outcome {
    let reactor = ctx.runtime()?.reactor().clone();
    let (before, now, after) =
        ctx.block_on(async move { (reactor.now(), time::now(), reactor.now()) })?;
    ensure!(
        before <= now && now <= after,
        "time::now() is not the reactor's clock"
    );
    Ok(())
}

fn now_moves_with_virtual_time(ctx: &Ctx) -> Outcome {
    const HOUR: Duration = Duration::from_secs(3600);
    let moved = ctx.block_on(async {
        let start = time::now();
        sleep(HOUR).await?;
        Ok::<_, baton_protocol::Error>(time::now() - start)
    })??;
    // The virtual clock jumps to the sleep's deadline, and nothing else
    // moves it in between.
    ensure_eq!(moved, HOUR, "time::now() did not follow the virtual clock");
    Ok(())
}
