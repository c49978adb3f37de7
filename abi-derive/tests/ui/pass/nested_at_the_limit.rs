// Unions nested 32 deep (the limit), each containing the next twice:
// generate! must not walk every path through the nesting (2^31). (Structs
// nested the same way are 1 GiB, which rustc's const evaluation of `ZERO`
// cannot build in minutes; abi-spec's own tests generate them.)
mod unions {
    abi_derive::generate!("specs/nested32-unions.toml");
}

fn main() {
    assert_eq!(core::mem::size_of::<unions::s0>(), 1);
}
