RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "in an ABI with features, a field added after the first version has no feature",
    explanation: "Where an ABI negotiates with feature bits, user space learns that a field \
is filled only from its feature bit. A field without one cannot be told apart from \
never-written memory.",
    bad_example: "NEW: node_id: u32, since = 3 (no feature)",
    fix: "Add a [[feature]] for the field and set `feature` on it.",
}
