// Doc text that rustc refuses as it is (a lone `\r`, bidirectional
// controls): generate! writes it so that the code compiles, instead of
// "generated code that does not parse".
abi_derive::generate!("specs/hostile_docs.toml");

fn main() {
    assert_eq!(core::mem::size_of::<s>(), 4);
}
