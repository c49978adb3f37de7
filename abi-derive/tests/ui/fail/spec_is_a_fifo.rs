// `specs/fifo.toml` is a FIFO that tests/ui.rs makes: refused by its type,
// never opened (opening it would wait for a writer, and hang the compiler).
use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/fifo.toml", name = "area", version = 1)]
#[repr(C)]
struct Area {
    id: u32,
}

mod generated {
    abi_derive::generate!("specs/fifo.toml");
}

fn main() {}
