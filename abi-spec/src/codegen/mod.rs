//! Generators: code derived from a spec for other languages. Each one asks
//! [`crate::layout`] for every number it prints and computes none itself.

#[cfg(feature = "codegen-c")]
pub mod c;
pub mod cnames;
#[cfg(feature = "codegen-rust")]
pub mod rust;

/// Characters that reorder or hide text: bidirectional controls,
/// zero-width characters, the byte-order mark. Compilers refuse or warn
/// about them in comments (rustc's `text_direction_codepoint_in_comment`,
/// GCC's `-Wbidi-chars`), and a reader of the generated file cannot see
/// them; the generators write them as `\u{202e}`.
#[cfg(any(feature = "codegen-rust", feature = "codegen-c"))]
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}
