// Names and types match, but the struct lacks the spec's `align = 8`: the
// layout assertions fail at compile time.
use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/demo.toml", name = "area", version = 1)]
#[repr(C, packed)]
struct Area {
    id: u32,
    flags: u32,
    offset: i64,
}

fn main() {}
