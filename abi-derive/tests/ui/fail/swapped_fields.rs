use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/demo.toml", name = "area", version = 1)]
#[repr(C, align(8))]
struct Area {
    flags: u32,
    id: u32,
    offset: i64,
}

fn main() {}
