RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "an existing field is gated by another feature bit, or gained or lost its feature",
    explanation: "User space tests the field's feature bit before it trusts the field. A \
binary built against the older spec tests the old bit: with another bit (or none), it reads \
a field the kernel never filled, or ignores one it did.",
    bad_example: "OLD: node_id feature = \"node_id\"\nNEW: node_id feature = \"mm_cid\"",
    fix: "Restore the field's `feature`. A field that needs another gate is a new field.",
}
