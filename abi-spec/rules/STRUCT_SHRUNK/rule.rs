RuleInfo {
    severity: Severity::Breaking,
    waivable: false,
    summary: "size or feature_size went down on some target",
    explanation: "Callers announce the length they know. A shorter struct makes the other \
side refuse or misread every caller built against the larger size.",
    bad_example: "OLD: size 32\nNEW: size 24",
    fix: "Never shrink: keep the fields, reserved if obsolete.",
}
