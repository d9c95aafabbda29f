#[baton::test(each_pair, reactor = "poll")]
async fn everywhere() {}

fn main() {}
