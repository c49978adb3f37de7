RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a feature got another bit",
    explanation: "Old binaries announce the old bit, and the other side now reads it as \
another feature (or as nothing): a field is filled that the caller never asked for, or one it \
relies on stays off.",
    bad_example: "OLD: cpu_id bit = 0\nNEW: cpu_id bit = 1",
    fix: "Restore the bit.",
}
