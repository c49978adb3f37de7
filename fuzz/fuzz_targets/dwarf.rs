//! Bytes as an ELF file with DWARF: read a few struct names (see
//! abi_tests::fuzz_checks::dwarf).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| abi_tests::fuzz_checks::dwarf(data));
