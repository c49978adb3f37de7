RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "NEW's version is lower than OLD's",
    explanation: "Published versions cannot be taken back: binaries were built against them \
and announce their sizes. A lower version number means the next release will reuse a number \
that already names another layout.",
    bad_example: "OLD: version = 3\nNEW: version = 2",
    fix: "Keep the version and add to it.",
}
