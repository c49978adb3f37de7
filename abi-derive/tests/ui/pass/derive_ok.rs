// A hand-written struct that matches the spec, at both versions; a
// keyword field name as a raw identifier; generate! next to it.
use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/demo.toml", name = "area", version = 1)]
#[repr(C, align(8))]
struct AreaV1 {
    id: u32,
    flags: core::ffi::c_uint,
    offset: i64,
}

#[derive(AbiLayout)]
#[abi(spec = "specs/demo.toml", name = "area")]
#[repr(C, align(8))]
struct AreaV2 {
    id: u32,
    flags: u32,
    offset: i64,
    r#type: u64,
    slots: [u16; 4],
}

mod generated {
    abi_derive::generate!("specs/demo.toml");
}

fn main() {
    assert_eq!(core::mem::size_of::<AreaV1>(), 16);
    assert_eq!(core::mem::size_of::<AreaV2>(), 32);
    assert_eq!(generated::AREA_SIZE_VER2, 32);
    assert_eq!(generated::AREA_FEATURE_SIZE_VER1, 16);
    let a = generated::area::ZERO;
    assert_eq!(a.r#type, 0);
    assert_eq!(a.read_type(generated::AREA_FEATURE_SIZE_VER1), None);
    assert_eq!(a.read_type(generated::AREA_FEATURE_SIZE_VER2), Some(0));
}
