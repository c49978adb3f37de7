// Hand-written bitfield storage: each field marked with the bitfields it
// stores (every one of the run, unnamed ones by their spec name, in
// order), any unsigned integer or byte array covering their bytes; a
// placeholder (a bit claimed later) by any name at its place. generate!
// on the same spec, and its accessors, next to it.
use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/bits.toml", name = "attr")]
#[repr(C)]
struct Attr {
    config: u64,
    #[abi(bits(disabled, inherit, precise_ip, exclude_host, __reserved_1))]
    flags: u64,
    after: u32,
    #[abi(bits(lo, gap, hi))]
    small: [u8; 2],
}

#[derive(AbiLayout)]
#[abi(spec = "specs/bits.toml", name = "attr", version = 1)]
#[repr(C)]
struct AttrV1 {
    config: u64,
    #[abi(bits(disabled, inherit, precise_ip, not_yet, __reserved_1))]
    flags: u64,
    after: u32,
    #[abi(bits(lo, gap, hi))]
    small: u16,
}

mod generated {
    abi_derive::generate!("specs/bits.toml");
}

fn main() {
    assert_eq!(core::mem::size_of::<Attr>(), 24);
    assert_eq!(core::mem::size_of::<AttrV1>(), 24);
    let mut a = generated::attr::ZERO;
    a.set_precise_ip(3);
    a.set_hi(0xab);
    assert_eq!(a.precise_ip(), 3);
    assert_eq!(a.hi(), 0xab);
    assert_eq!(a.read_exclude_host(generated::ATTR_FEATURE_SIZE_VER2), Some(0));
}
