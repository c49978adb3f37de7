use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/demo.toml", name = "area", version = 3)]
#[repr(C)]
struct Area {
    id: u32,
}

fn main() {}
