RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a number of a flag set, live or retired, now names another value",
    explanation: "Old binaries that pass the number mean the old value; the new side reads it as \
the new one. A retired value keeps its number for that reason.",
    bad_example: "OLD: name = \"OLD_MODE\" value = 4 (retired)\nNEW: name = \"NEW_MODE\" value = 4",
    fix: "Give the new value a number that was never used.",
}
