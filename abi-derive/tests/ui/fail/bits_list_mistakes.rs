// Mistakes in `bits(...)`: a bitfield left out, one out of order, an
// ordinary field, a name the spec does not have, and a bitfield of
// another run. Each is reported at its token.
use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/bits.toml", name = "attr")]
#[repr(C)]
struct Attr {
    config: u64,
    #[abi(bits(inherit, disabled, exclude_host, after, nope, lo))]
    flags: u64,
    after: u32,
    #[abi(bits(lo, gap, hi))]
    small: u16,
}

fn main() {}
