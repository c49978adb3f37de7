// Two spec names that generate one Rust name: the clash, at the spec's
// place, not "generated code that does not parse".
abi_derive::generate!("specs/clash.toml");

fn main() {}
