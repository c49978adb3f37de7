RuleInfo {
    severity: Severity::Warning,
    waivable: false,
    summary: "a waiver's `expires` date has passed: it no longer applies (an error with --strict-waivers)",
    explanation: "An expiry date makes a waiver temporary: past it, the findings the waiver \
accepted are reported again at their own severity, and this finding says why they came \
back, with the date. Every command reports an expired waiver of the spec whose waivers it \
applies, whatever the waiver's rule.",
    bad_example: "[[waiver]]\nrule = \"IMPLICIT_PADDING\"\nstruct = \"s\"\nreason = \"until the next version names it\"\nexpires = \"2024-06-30\"    # in the past",
    fix: "Fix what the waiver accepted and delete the waiver; if it is still accepted on \
purpose, set a later `expires` (or none). `--strict-waivers` makes this an error, for CI.",
}
