//! Accepted specs -> C header (both styles) and Rust, structure checked
//! (see abi_tests::fuzz_checks::codegen).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| abi_tests::fuzz_checks::codegen(data));
