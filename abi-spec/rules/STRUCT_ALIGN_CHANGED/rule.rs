RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "the struct's alignment changed on some target",
    explanation: "Callers allocate the struct (in TLS, on the stack, inside other structs) \
with the old alignment, and the kernel may refuse a misaligned registration.",
    bad_example: "OLD: align = 32\nNEW: align = 64",
    fix: "Keep the alignment.",
}
