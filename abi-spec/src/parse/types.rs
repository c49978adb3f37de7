//! Type expressions, as a field's `type` writes them: a scalar (`u32`), a
//! struct name, `[T; N]` or `[T]`.

use crate::limits::{MAX_ARRAY_DEPTH, MAX_OBJECT_SIZE};
use crate::model::Type;
use crate::names;
use crate::parse::ctxt::shown;
use crate::types::Scalar;

/// Why a type expression is not a type. Texts quoted in the message are
/// escaped and cut to a readable length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeError {
    /// More than [`MAX_ARRAY_DEPTH`] levels of brackets.
    TooDeep,
    /// `[` without its `]`.
    Unclosed {
        /// The type as written.
        text: String,
    },
    /// `[[T]; N]` or `[[T]]`.
    ArrayOfFlexible,
    /// A length no C object could have.
    TooLong {
        /// The length.
        len: u64,
    },
    /// A length that is neither decimal nor `0x` hexadecimal.
    BadLength {
        /// The length as written.
        length: String,
    },
    /// Neither a scalar, an array, nor anything that could name a struct.
    Unknown {
        /// The type as written.
        text: String,
    },
}

// By hand, not derived: the parser is compiled into the proc-macro, which a
// derive would make wait for syn (benches/derive-build-time.sh).
impl std::fmt::Display for TypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeError::TooDeep => write!(f, "arrays are nested more than {MAX_ARRAY_DEPTH} deep"),
            TypeError::Unclosed { text } => write!(f, "`{}` has no closing `]`", shown(text)),
            TypeError::ArrayOfFlexible => f.write_str("an array of flexible arrays has no size"),
            TypeError::TooLong { len } => write!(
                f,
                "array length {len} is larger than any C object may be ({MAX_OBJECT_SIZE} bytes)"
            ),
            TypeError::BadLength { length } => {
                write!(f, "array length `{}` is not a number", shown(length))
            }
            TypeError::Unknown { text } => write!(f, "unknown type `{}`", shown(text)),
        }
    }
}

impl std::error::Error for TypeError {}

/// The `help:` line of an error in a type.
pub(super) fn type_help() -> String {
    format!(
        "types are {}, `[T; N]`, `[T]` (last field only) or the name of another struct",
        Scalar::ALL.map(Scalar::name).join(", ")
    )
}

/// Parses a type expression: a scalar, a struct name, `[T; N]` or `[T]`.
/// Struct names are checked against the spec by the caller.
pub fn parse_type(text: &str) -> Result<Type, TypeError> {
    parse(text, 0)
}

/// [`parse_type`] at `depth` levels of brackets.
fn parse(text: &str, depth: usize) -> Result<Type, TypeError> {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix('[') {
        if depth >= MAX_ARRAY_DEPTH {
            return Err(TypeError::TooDeep);
        }
        let inner = inner.strip_suffix(']').ok_or_else(|| TypeError::Unclosed {
            text: t.to_string(),
        })?;
        // The length follows the last top-level `;`.
        let mut level = 0usize;
        let mut split = None;
        for (i, c) in inner.char_indices() {
            match c {
                '[' => level += 1,
                ']' => level = level.saturating_sub(1),
                ';' if level == 0 => split = Some(i),
                _ => {}
            }
        }
        return match split {
            None => {
                let element = parse(inner, depth + 1)?;
                if element.is_flexible() {
                    return Err(TypeError::ArrayOfFlexible);
                }
                Ok(Type::Flexible(Box::new(element)))
            }
            Some(i) => {
                let element = parse(&inner[..i], depth + 1)?;
                if element.is_flexible() {
                    return Err(TypeError::ArrayOfFlexible);
                }
                let len_text = inner[i + 1..].trim().replace('_', "");
                let len = if let Some(hex) = len_text.strip_prefix("0x") {
                    u64::from_str_radix(hex, 16)
                } else {
                    len_text.parse::<u64>()
                };
                match len {
                    Ok(len) if len > MAX_OBJECT_SIZE => Err(TypeError::TooLong { len }),
                    Ok(len) => Ok(Type::Array {
                        element: Box::new(element),
                        len,
                    }),
                    Err(_) => Err(TypeError::BadLength {
                        length: inner[i + 1..].trim().to_string(),
                    }),
                }
            }
        };
    }
    if let Some(scalar) = Scalar::from_name(t) {
        return Ok(Type::Scalar(scalar));
    }
    if names::is_c_identifier(t) {
        Ok(Type::Struct(t.to_string()))
    } else {
        Err(TypeError::Unknown {
            text: t.to_string(),
        })
    }
}
