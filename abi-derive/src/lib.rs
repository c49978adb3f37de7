//! Proc-macros that generate `repr(C)` structs from an ABI spec, or check
//! hand-written ones against it, with compile-time layout assertions.
