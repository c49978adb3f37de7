use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/demo.toml", name = "arena", version = 1)]
#[repr(C)]
struct Area {
    id: u32,
}

fn main() {}
