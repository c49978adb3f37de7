RuleInfo {
    severity: Severity::Info,
    waivable: true,
    summary: "a field was appended (compatible)",
    explanation: "Appending a field grows the struct; older callers announce a smaller \
length and never see it.",
    bad_example: "NEW: node_id: u32, since = 3, feature = \"node_id\"",
    fix: "Nothing to fix.",
}
