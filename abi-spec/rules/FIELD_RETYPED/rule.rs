RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "same name, other type, signedness included",
    explanation: "Both sides interpret the bytes by the field's type. Another size moves \
every later field; another signedness changes the meaning of values such as -1 \
(CPU_ID_UNINITIALIZED) without any compiler noticing.",
    bad_example: "OLD: cpu_id: u32\nNEW: cpu_id: i32",
    fix: "Keep the type. Add a new field with the new type, gated by a feature, and leave \
the old one in place.",
}
