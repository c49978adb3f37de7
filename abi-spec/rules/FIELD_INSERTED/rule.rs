RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a new field is not after every old one and claims no reserved bytes",
    explanation: "An extensible struct grows only at its end: a caller's announced length \
says which fields it knows. A field placed between old ones shifts them, or takes bytes \
that old callers use.",
    bad_example: "OLD: a: u32, b: u32\nNEW: a: u32, x: u32, b: u32",
    fix: "Append the field after every old one, or claim bytes that an older version \
reserved (set `was_reserved`).",
}
