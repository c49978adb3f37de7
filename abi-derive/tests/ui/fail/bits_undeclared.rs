// A bitfield written as an ordinary field, a run with no storage field,
// a storage of a signed type and an unknown key on a field.
use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/bits.toml", name = "attr")]
#[repr(C)]
struct Attr {
    config: u64,
    disabled: u64,
    after: u32,
}

#[derive(AbiLayout)]
#[abi(spec = "specs/bits.toml", name = "attr")]
#[repr(C)]
struct Attr2 {
    config: u64,
    #[abi(bits(disabled, inherit, precise_ip, exclude_host, __reserved_1))]
    flags: i64,
    after: u32,
    #[abi(bitz(lo, gap, hi))]
    small: u16,
}

fn main() {}
