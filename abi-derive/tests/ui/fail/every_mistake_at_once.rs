// One build reports all of these: a bad key, a wrong type, a field out of
// order, an extra field and a missing one.
use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/demo.toml", name = "area", version = 2, colour = "blue")]
#[repr(C, align(8))]
struct Area {
    flags: u32,
    id: u32,
    offset: u64,
    r#type: u64,
    extra: u8,
}

fn main() {}
