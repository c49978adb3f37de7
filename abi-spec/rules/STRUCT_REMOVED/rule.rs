RuleInfo {
    severity: Severity::Breaking,
    waivable: false,
    summary: "a struct of OLD is gone",
    explanation: "Binaries built against OLD still pass the struct, and generated code still \
asserts its layout: without it, nothing says what those bytes mean.",
    bad_example: "OLD: [[struct]] name = \"area\"\nNEW: (no struct area)",
    fix: "Keep the struct.",
}
