#[baton::main(reactor = "kqueue")]
async fn main() {}
