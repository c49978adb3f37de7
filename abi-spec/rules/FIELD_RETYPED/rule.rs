RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "same name, other type (signedness included), or the same type at another size",
    explanation: "Both sides interpret the bytes by the field's type. Another size moves \
every later field; another signedness changes the meaning of values such as -1 \
(CPU_ID_UNINITIALIZED) without any compiler noticing. A field whose type is a struct \
or union of the spec changes size when that type grows: a side built with the older \
size reads, writes or copies fewer bytes of the field than the other, and the \
simulated matrix fails where they meet. Linux lets a member at the very end grow \
where the kernel copies min(the caller's size, its own): waive it there, with that \
reason.",
    bad_example: "OLD: cpu_id: u32\nNEW: cpu_id: i32",
    fix: "Keep the type. Add a new field with the new type, gated by a feature, and leave \
the old one in place.",
}
