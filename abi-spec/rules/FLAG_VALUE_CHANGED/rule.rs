RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a named value of a flag set has another number",
    explanation: "Binaries were compiled with the number, not the name: a program built against \
OLD passes `CLONE_VM` as 0x100 forever. Give the name another number and the other side reads \
those binaries' 0x100 as something else, or as nothing.",
    bad_example: "OLD: [[flags.value]] name = \"VM\" value = 0x100\nNEW: [[flags.value]] name = \"VM\" value = 0x200",
    fix: "Restore the value. A new meaning takes a new name and a number never used.",
}
