RuleInfo {
    severity: Severity::Api,
    waivable: true,
    summary: "same slot, type and history, other name",
    explanation: "The binary layout is unchanged, so old binaries keep working, but source \
code that names the field no longer compiles.",
    bad_example: "OLD: cpu_id: u32\nNEW: cpu: u32",
    fix: "Keep the old name, or accept the source break with `--deny api` off and a note \
for users.",
}
