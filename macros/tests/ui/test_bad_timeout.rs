#[baton::test(timeout = "soon")]
async fn hangs() {}

fn main() {}
