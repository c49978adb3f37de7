RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a named value of a flag set is gone (retire it instead)",
    explanation: "Binaries built against OLD still pass it. Without a record of it, its number \
can be given to another value, and those binaries will ask for something they never knew.",
    bad_example: "OLD: [[flags.value]] name = \"VM\" value = 0x100\nNEW: (gone)",
    fix: "Keep the value with `retired = true`.",
}
