//! Two specs cut at `\n---\n`: diff both ways, sides, self-diff (see
//! abi_tests::fuzz_checks::diff for the properties).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| abi_tests::fuzz_checks::diff(data));
