RuleInfo {
    severity: Severity::Info,
    waivable: true,
    summary: "a value was added to a flag set (compatible)",
    explanation: "A new number is unknown to older binaries, which never pass it; a kernel that \
does not know it refuses it.",
    bad_example: "NEW: [[flags.value]] name = \"CLEAR_SIGHAND\" bit = 32",
    fix: "Nothing to fix.",
}
