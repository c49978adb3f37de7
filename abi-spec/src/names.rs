//! Names: what a spec name may be, and how generated code and specs
//! written from binaries spell one. The one keyword list of the project.

use crate::limits::MAX_NAME_LEN;

/// C (C23) and C++ keywords: a name that is one would not compile in a
/// generated header, which must build as C and as C++. Rust keywords are
/// fine: generated Rust uses raw identifiers.
pub const C_AND_CXX_KEYWORDS: &[&str] = &[
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "char16_t",
    "char32_t",
    "char8_t",
    "class",
    "co_await",
    "co_return",
    "co_yield",
    "compl",
    "concept",
    "const",
    "const_cast",
    "consteval",
    "constexpr",
    "constinit",
    "continue",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "requires",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "typeof",
    "typeof_unqual",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_BitInt",
    "_Bool",
    "_Complex",
    "_Decimal128",
    "_Decimal32",
    "_Decimal64",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
];

/// True when `name` is a C or C++ keyword.
pub fn is_reserved_word(name: &str) -> bool {
    C_AND_CXX_KEYWORDS.contains(&name)
}

/// True when `name` is an ASCII C identifier: a letter or `_`, then
/// letters, digits and `_`.
pub fn is_c_identifier(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// True when `name` may name something in a spec: a C identifier of at
/// most [`MAX_NAME_LEN`] characters that is no C or C++ keyword.
pub fn is_spec_name(name: &str) -> bool {
    is_c_identifier(name) && name.len() <= MAX_NAME_LEN && !is_reserved_word(name)
}

/// The closest spec name to a C name read from a binary: characters other
/// than letters, digits and `_` become `_`, a leading digit gets a `_`, a
/// keyword a trailing `_`, and the result is cut to [`MAX_NAME_LEN`].
/// Always satisfies [`is_spec_name`].
pub fn spec_name_for(c_name: &str) -> String {
    let mut out: String = c_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out.truncate(MAX_NAME_LEN - 1);
    if is_reserved_word(&out) {
        out.push('_');
    }
    out
}

/// Words that need `r#` in Rust but are fine in C (C and C++ keywords never
/// reach here: the spec refuses them).
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// The Rust identifier for a spec name: raw for keywords, with a trailing
/// underscore for the words that cannot be raw.
pub fn rust_ident(name: &str) -> String {
    match name {
        "self" | "Self" | "super" | "crate" | "_" => format!("{name}_"),
        _ if RUST_KEYWORDS.contains(&name) => format!("r#{name}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_names_for_c_names_are_spec_names() {
        for c in [
            "decltype",
            "class",
            "a-b",
            "9lives",
            "",
            "x".repeat(300).as_str(),
            "ok_name",
        ] {
            let name = spec_name_for(c);
            assert!(is_spec_name(&name), "{c:?} -> {name:?}");
        }
        assert_eq!(spec_name_for("decltype"), "decltype_");
        assert_eq!(spec_name_for("ok_name"), "ok_name");
    }
}
