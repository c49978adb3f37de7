//! Names from a binary, made safe to show. A hostile file can name a
//! struct or member with control characters (a newline, an escape sequence
//! that rewrites the terminal), `*/` (which would close the comment a name
//! is shown in), bidirectional-text controls, or a million characters.
//! Every name the readers take from a file goes through [`shown`], so what
//! reaches a terminal, a generated spec or a message is one readable line.

use abi_spec::limits::MAX_SHOWN_NAME_CHARS;

/// `raw` with control and bidirectional-format characters escaped
/// (`\n`, `\u{1b}`), `*/` broken as `*\/`, and cut after
/// [`MAX_SHOWN_NAME_CHARS`] characters with the number left out said.
/// An ordinary C name comes back unchanged.
pub fn shown(raw: &str) -> String {
    if raw.len() <= MAX_SHOWN_NAME_CHARS
        && raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        && !raw.contains("*/")
    {
        return raw.to_string();
    }
    let mut out = String::new();
    let mut chars = raw.chars();
    let mut previous = '\0';
    for (taken, c) in chars.by_ref().enumerate() {
        if taken == MAX_SHOWN_NAME_CHARS {
            let left = 1 + chars.count();
            out.push_str(&format!("...({left} more characters)"));
            return out;
        }
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else if c == '/' && previous == '*' {
            out.push_str("\\/");
        } else {
            out.push(c);
        }
        previous = c;
    }
    out
}

/// Characters that move the cursor, end a line, or reorder the text shown
/// around them.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass_unchanged() {
        assert_eq!(shown("clone_args"), "clone_args");
        assert_eq!(shown("const char * const *"), "const char * const *");
    }

    #[test]
    fn hostile_names_are_one_readable_line() {
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown("x\u{1b}[2J"), "x\\u{1b}[2J");
        assert_eq!(shown("end */ int x; /*"), "end *\\/ int x; /*");
        assert_eq!(shown("rtl\u{202e}txt"), "rtl\\u{202e}txt");
        let long = "a".repeat(MAX_SHOWN_NAME_CHARS + 10);
        let cut = shown(&long);
        assert!(cut.starts_with(&"a".repeat(MAX_SHOWN_NAME_CHARS)));
        assert!(cut.ends_with("...(10 more characters)"), "{cut}");
        assert!(!cut.contains('\n'));
    }
}
