//! Sets `cfg(no_<tool>)` for every external program the tests need and this
//! machine lacks, so those tests are ignored visibly (see abi-test-tools).
fn main() {
    abi_test_tools::emit_cfgs();
}
