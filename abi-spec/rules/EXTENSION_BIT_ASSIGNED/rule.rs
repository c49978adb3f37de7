RuleInfo {
    severity: Severity::Breaking,
    waivable: true,
    summary: "a feature sits on a position-63 bit",
    explanation: "Position 63 of every feature word says that another word follows. A \
feature there makes every reader look for a word that is not there, and a side that offers \
it announces a chain of words the other side cannot parse. `check` reports it on the \
`[[feature]]` that takes the bit; a bit beyond the words `feature_words` defines is an \
input error instead (exit 2).",
    bad_example: "[[feature]] bit = 63",
    fix: "Use bit 64, the first bit of the next word, and raise `feature_words`.",
}
