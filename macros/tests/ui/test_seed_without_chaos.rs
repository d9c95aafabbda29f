#[baton::test(seed = 7)]
async fn seeded() {}

fn main() {}
