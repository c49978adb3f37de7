RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a version's feature_size equals the size or feature_size of an older version that lacks some of its fields",
    explanation: "The length a caller announces is how the other side learns which version \
it speaks. glibc 2.35-2.39 registered rseq with 32 bytes (the size) while only 20 were \
live; a kernel whose new feature_size was exactly 32 could not tell those callers from new \
ones, and had to add a one-byte placeholder to make the new size 33.",
    bad_example: "v1: feature_size 20, size 32\nv2: feature_size 32",
    fix: "Add a reserved field so the new feature_size differs from every older size, or \
make the bytes reserved (must be zero) in the older version.",
}
