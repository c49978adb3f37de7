RuleInfo {
    severity: Severity::Warning,
    waivable: false,
    summary: "a waiver matches no finding (an error with --strict-waivers)",
    explanation: "A waiver outlives what it accepted: the padding got a name, the change it \
let through was released and is no longer a change, or its struct, field or target never \
matched at all. Left in the file, it would silently accept the next finding of its rule on \
that struct, which nobody has looked at. Each command judges the waivers of the rules whose \
findings it sees in full: every command those of one spec's own findings (IMPLICIT_PADDING, \
NON_PORTABLE_TYPE, TARGET_LAYOUT_DIVERGES, EXTENSION_BIT_ASSIGNED, FIELD_UNGATED), `diff` \
also the comparison rules, `compat` also SIDES_DISAGREE; a waiver that any finding of the run \
matches is used (docs/spec-format.md).",
    bad_example: "[[waiver]]\nrule = \"IMPLICIT_PADDING\"\nstruct = \"s\"    # s has no padding (any more)\nreason = \"...\"",
    fix: "Delete the waiver, or correct its `struct`, `field` or `target` so that it names the \
finding it is meant for. `--strict-waivers` makes this an error, for CI.",
}
