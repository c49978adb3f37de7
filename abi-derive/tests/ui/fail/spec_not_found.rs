use abi_derive::AbiLayout;

#[derive(AbiLayout)]
#[abi(spec = "specs/no_such_spec.toml", name = "area", version = 1)]
#[repr(C)]
struct Area {
    id: u32,
}

mod generated {
    abi_derive::generate!("specs/no_such_spec.toml");
}

fn main() {}
