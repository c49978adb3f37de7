RuleInfo {
    severity: Severity::Breaking,
    waivable: false,
    summary: "a field of OLD is gone (and its bytes were not reserved)",
    explanation: "Callers built against OLD still read and write the field at its offset. \
Once it is gone, the other side either ignores what they wrote or, worse, gives the bytes \
another meaning.",
    bad_example: "OLD: cpu_id: u32 at 0\nNEW: (cpu_id deleted)",
    fix: "Keep the field. If it is obsolete, keep its bytes as a reserved field of the same \
size and document that they are ignored.",
}
