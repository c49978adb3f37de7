RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a live field became reserved bytes",
    explanation: "Binaries built against OLD still use the field: a C library reads what the \
kernel no longer fills (zero, where it expects a value), or writes what the kernel now \
ignores or refuses as a non-zero reserved byte. The simulated matrix fails where an older \
side meets a newer one. Sometimes that is the intent, when the kernel stopped providing a \
value on purpose and old readers cope with zero: then waive it, with the reason.",
    bad_example: "OLD: b: u64, since = 2\nNEW: __b_unused: u64, since = 2, reserved = true",
    fix: "Keep the field live, or accept the break with a waiver whose reason says why old \
binaries cope.",
}
