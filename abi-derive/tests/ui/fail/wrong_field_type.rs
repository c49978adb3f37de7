use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/demo.toml", name = "area", version = 2)]
#[repr(C, align(8))]
struct Area {
    id: i32,
    flags: u32,
    offset: u64,
    r#type: u32,
    slots: [u16; 3],
}

fn main() {}
