RuleInfo {
    severity: Severity::Warning,
    waivable: true,
    summary: "ptr, long, ulong or a float in the ABI",
    explanation: "ptr, long and ulong change size between 32- and 64-bit targets, which breaks \
compat (32-bit user space on a 64-bit kernel). Kernels do not use floating point, so f32 \
and f64 fields cannot be filled or checked there.",
    bad_example: "rseq_cs: ptr",
    fix: "Use u64 for pointers (as rseq and clone_args do) and fixed-size integers for \
everything else.",
}
