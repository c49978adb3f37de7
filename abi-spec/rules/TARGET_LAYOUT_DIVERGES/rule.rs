RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a field's offset or size, or a struct's size or feature_size, differs between two of the spec's targets",
    explanation: "One ABI must mean one layout: 32-bit user space on a 64-bit kernel (compat) \
and every libc port rely on the same offsets. A u64 is 4-aligned inside structs on i386 and \
sh4 and 2-aligned on m68k, and a pointer or long is 4 bytes on 32-bit targets, so the same \
C declaration lays out differently unless the spec pins it.",
    bad_example: "cpu_id: u32\nrseq_cs: u64    # offset 8 on x86_64, 4 on i386",
    fix: "Give u64 fields `align = 8` (the kernel's __aligned_u64), add explicit reserved \
fields where targets pad differently, and use fixed-size integers instead of ptr or long.",
}
