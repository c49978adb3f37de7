RuleInfo {
    severity: Severity::Info,
    waivable: true,
    summary: "a feature bit was added (compatible)",
    explanation: "A new bit is unknown to older binaries, which never announce it.",
    bad_example: "NEW: [[feature]] name = \"mm_cid\" bit = 3",
    fix: "Nothing to fix.",
}
