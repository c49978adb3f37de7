RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "an existing field's or feature's `since` changed",
    explanation: "Versions are published facts: sizes per version (SIZE_VER constants) \
were compiled into binaries. Changing when a field appeared changes those sizes \
retroactively.",
    bad_example: "OLD: node_id since = 3\nNEW: node_id since = 2",
    fix: "Restore the original `since`.",
}
