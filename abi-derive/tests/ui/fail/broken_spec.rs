use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/broken.toml", name = "area", version = 1)]
#[repr(C)]
struct Area {
    id: u32,
}

mod generated {
    abi_derive::generate!("specs/broken.toml");
}

fn main() {}
