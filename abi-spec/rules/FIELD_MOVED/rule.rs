RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "same name, other offset on some target",
    explanation: "Old binaries access the field at its old offset. Moving it, even on one \
target (a u64 that is 4-aligned on i386 moves when an earlier field changes), makes both \
sides read different bytes.",
    bad_example: "OLD: a: u32 at 0, b: u64 at 8\nNEW: a: u32, pad: u32, b: u64 at 16",
    fix: "Keep every existing field where it is on every target. Use explicit `align` on \
u64 fields so that i386, sh4 and m68k agree with the 64-bit targets.",
}
