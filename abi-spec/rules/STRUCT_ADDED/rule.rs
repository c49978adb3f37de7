RuleInfo {
    severity: Severity::Info,
    waivable: true,
    summary: "a struct was added (compatible)",
    explanation: "Older binaries do not use it.",
    bad_example: "NEW: [[struct]] name = \"slice_ctrl\"",
    fix: "Nothing to fix.",
}
