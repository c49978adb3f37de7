use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/demo.toml", name = "area", version = 1)]
#[repr(C, align(8))]
struct Area {
    id: u32,
    flags: u32,
    offset: i64,
    padding: u64,
}

fn main() {}
