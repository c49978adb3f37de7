RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "in a registered struct, a field the kernel writes claims reserved bytes that an older version's length already covers, and no new feature bit tells the versions apart",
    explanation: "A field that claims reserved bytes in place need not change the length that \
tells the sides apart: when its version's feature size is one an older version already \
announces, a kernel of that older version agrees a length that covers the field. A C \
library built for the newer version then reads it as filled although that kernel never \
writes it: it reads the reserved zero as a value (node 0, CPU 0). Only a feature bit \
introduced with the field, which the older kernel does not offer, tells the two apart. A \
field user space writes is fine: an older C library leaves the reserved bytes zero, which \
the kernel reads as 'not set'.",
    bad_example: "v1: feature a (since 1); a: u64; __reserved: u64 (reserved)\nv2: c: u64, claims __reserved (was_reserved), feature = \"a\" (or none)",
    fix: "Gate the field with a new feature, introduced in the field's version, or grow the \
struct in the same version so its feature size is new.",
}
