RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a feature disappeared (retire it instead)",
    explanation: "Its bit was announced by old binaries. Without a record of it, the bit can \
be handed to another feature, and old binaries will claim a feature they never knew.",
    bad_example: "OLD: [[feature]] name = \"cpu_id\" bit = 0\nNEW: (gone)",
    fix: "Keep the feature with `retired = true`.",
}
