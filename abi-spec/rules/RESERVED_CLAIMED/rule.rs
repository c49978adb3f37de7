RuleInfo {
    severity: Severity::Info,
    waivable: true,
    summary: "a field claimed bytes an older version reserved (compatible)",
    explanation: "Reserved bytes were zero in every older caller, so the new field reads as \
zero (off) for them.",
    bad_example: "NEW: clockid: i32, was_reserved = true",
    fix: "Nothing to fix.",
}
