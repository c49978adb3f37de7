RuleInfo {
    severity: Severity::Warning,
    waivable: true,
    summary: "a hole or tail padding that no field names",
    explanation: "Padding bytes are never written by C code that sets fields one by one, so \
a struct copied to user space can leak kernel memory through them. Unnamed bytes also \
cannot be claimed later safely: older callers left garbage there. Judged on the newest \
version, the struct that code copies today; an older view's padding matters when a later \
field lands on it, which RESERVED_CLAIMED_UNSAFELY and FEATURE_SIZE_AMBIGUOUS judge.",
    bad_example: "a: u32\nb: u64    # 4 bytes hole at offset 4",
    fix: "Name the bytes with an explicit reserved field (`reserved = true`), which must be \
zero and can be claimed later.",
}
