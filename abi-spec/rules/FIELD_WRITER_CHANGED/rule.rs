RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "an existing field changed who writes it (`writer`)",
    explanation: "Which side writes a field is part of the protocol: the kernel reads the \
fields user space writes and fills the fields it writes. A field that moves from the kernel \
to user space is no longer filled for the C libraries that read it; one that moves the \
other way is overwritten, or never read, where an older side wrote it.",
    bad_example: "OLD: node_id: u32, writer = \"kernel\"\nNEW: node_id: u32, writer = \"user\"",
    fix: "Restore the field's writer. A field with another writer is a new field, gated by a \
new feature.",
}
