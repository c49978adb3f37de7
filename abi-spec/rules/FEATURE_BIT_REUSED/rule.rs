RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a bit, retired or live, now names another feature",
    explanation: "An old binary that announces the bit means the old feature; the new side \
reads it as the new one.",
    bad_example: "OLD: old_thing bit = 3 (retired)\nNEW: new_thing bit = 3",
    fix: "Take a bit that was never used.",
}
