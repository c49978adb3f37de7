//! Spec text -> parse, validate, lay out, lint, render errors: nothing may
//! panic (see abi_tests::fuzz_checks::spec for the properties).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| abi_tests::fuzz_checks::spec(data));
