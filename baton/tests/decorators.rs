//! `virtual_time` and `chaos` put the test's reactor under baton-testing's
//! decorators.

use std::time::Duration;

use baton::Handle;
use baton::io::{AsyncReadExt, AsyncWriteExt};
use baton::net::UnixStream;

#[baton::test(virtual_time, timeout = "30s")]
async fn virtual_time_jumps() -> Result<(), baton::Error> {
    let clock = Handle::current()?;
    let start = clock.reactor().now();
    baton::sleep(Duration::from_secs(24 * 3600)).await?;
    assert_eq!(
        clock.reactor().now() - start,
        Duration::from_secs(24 * 3600)
    );
    Ok(())
}

#[baton::test(virtual_time, executor = "multi", workers = 3)]
async fn virtual_time_on_the_multi_thread_executor() -> Result<(), baton::Error> {
    let sleepers: Vec<_> = (1..=3u64)
        .map(|h| baton::spawn(baton::sleep(Duration::from_secs(h * 3600))))
        .collect::<Result<_, _>>()?;
    for sleeper in sleepers {
        sleeper.await??;
    }
    Ok(())
}

#[baton::test(chaos, seed = 7, timeout = "30s")]
async fn chaos_still_delivers_every_byte() -> Result<(), baton::Error> {
    let (mut a, mut b) = UnixStream::pair()?;
    let writer = baton::spawn(async move {
        a.write_all(&[7u8; 4096]).await?;
        Ok::<_, baton::Error>(())
    })?;
    let mut got = vec![0u8; 4096];
    b.read_exact(&mut got).await?;
    writer.await??;
    assert!(got.iter().all(|&x| x == 7));
    Ok(())
}

/// A `cfg` on the test applies to its body too: this one would not compile
/// (an unknown function) if the body were kept.
#[baton::test]
#[cfg(any())]
async fn compiled_out_with_its_body() {
    no_such_function();
}
