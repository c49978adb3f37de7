// The names are right but the storage is too small for the bytes its
// bitfields cover: the layout assertions fail at compile time.
use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/bits.toml", name = "attr")]
#[repr(C)]
struct Attr {
    config: u64,
    #[abi(bits(disabled, inherit, precise_ip, exclude_host, __reserved_1))]
    flags: u32,
    after: u32,
    #[abi(bits(lo, gap, hi))]
    small: u16,
}

fn main() {}
