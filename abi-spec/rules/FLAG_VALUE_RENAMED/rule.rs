RuleInfo {
    severity: Severity::Api,
    waivable: true,
    summary: "a value of a flag set has another name (same number and history)",
    explanation: "Binaries pass the number, so they keep working; source code that uses the old \
name no longer compiles.",
    bad_example: "OLD: name = \"VM\" value = 0x100\nNEW: name = \"SHARE_VM\" value = 0x100",
    fix: "Keep the old name, or accept the source break (exit 0 unless `--deny api`).",
}
