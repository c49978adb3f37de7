RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "(compat) the kernel's and the library's specs give the same bytes or the same version different meanings",
    explanation: "`abi-check compat` judges two specs of one ABI that evolved apart, such as a \
C library fork that added a field of its own. The length the library announces must name the \
same version on both sides, and a byte must belong to the same field on both: otherwise one \
side writes what the other reads as something else.",
    bad_example: "kernel: v2 adds node_id: u32 at 20\nlibc fork: v2 adds my_flags: u32 at 20",
    fix: "Upstream the field first, or give the fork's field bytes that the kernel reserved \
for it; never ship a version number that means two layouts.",
}
