RuleInfo {
    severity: Severity::Api,
    waivable: true,
    summary: "same bit and history, other name",
    explanation: "Binaries announce the bit, not the name, so they keep working; source code \
that uses the generated constant (TLABI_FEATURE_...) no longer compiles.",
    bad_example: "OLD: [[feature]] name = \"cpu_id\" bit = 0\nNEW: [[feature]] name = \"cpu\" bit = 0",
    fix: "Keep the old name, or accept the source break (exit 0 unless `--deny api`).",
}
