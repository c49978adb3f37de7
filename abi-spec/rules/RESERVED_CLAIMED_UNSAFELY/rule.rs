RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a field claims more bytes than an older version reserved, or a user-written field lies on bytes an older version left as implicit padding within its size",
    explanation: "Reserved bytes are known to be zero in every older caller. Implicit \
padding is not: an older caller that announces its full size leaves garbage there, and a \
user-written field on those bytes would be switched on with that garbage in it. In a \
struct the kernel copies in (`copy_struct_from_user`), the other way round fails too: an \
older kernel copies the bytes of its own size, padding included, so a newer library's \
field there is ignored without the E2BIG that a field beyond its size gets.",
    bad_example: "v1: a: u32 (size 8, 4 bytes tail padding)\nv2: flags: u32 at 4, writer = \"user\"",
    fix: "Reserve the bytes explicitly in the older version (a reserved field), or place the \
new field beyond the older version's size.",
}
