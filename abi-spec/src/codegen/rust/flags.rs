//! `[[flags]]` sets as Rust newtypes: `#[repr(transparent)]` over the
//! set's integer, one associated constant per value named without the
//! set's prefix (`CloneFlags::VM` for `CLONE_VM`), and the operations of a
//! set of bits or of enumerated values. Written by hand rather than with
//! the `bitflags` crate because generated code depends on nothing but
//! `core`; the method names follow `bitflags` 2 so the code reads the same.
//! Unknown bits are kept, never dropped: a kernel newer than the code may
//! set bits the code has no name for, and they must survive a round trip.

use std::fmt::Write as _;

use crate::codegen::cnames::CNames;
use crate::diagnostic::{Diagnostic, SpecError};
use crate::model::{FlagKind, FlagSet, Spec};
use crate::names::rust_ident;

use super::{doc, scalar_type};

/// Methods of the generated types: a value may not be named like one.
const BITS_METHODS: &[&str] = &[
    "empty",
    "all",
    "from_bits",
    "from_bits_retain",
    "bits",
    "is_empty",
    "is_all",
    "contains",
    "intersects",
    "union",
    "intersection",
    "difference",
    "insert",
    "remove",
    "toggle",
];
const ENUM_METHODS: &[&str] = &["from_bits_retain", "bits", "is_known", "name"];

/// Refuses a value named like a method of its type.
pub(super) fn check(spec: &Spec) -> Result<(), SpecError> {
    let mut diagnostics = Vec::new();
    for set in &spec.flags {
        let methods = match set.kind {
            FlagKind::Bits => BITS_METHODS,
            FlagKind::Enum => ENUM_METHODS,
        };
        for v in &set.values {
            if methods.contains(&v.name.as_str()) {
                diagnostics.push(
                    Diagnostic::error(
                        format!(
                            "value `{}` of flag set `{}` would be named like the Rust method `{}::{}`",
                            v.name, set.name, set.name, v.name
                        ),
                        Some(v.name_span),
                    )
                    .with_help("rename the value (Rust constants are conventionally upper case)"),
                );
            }
        }
    }
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(SpecError {
            source: spec.source.clone(),
            diagnostics,
        })
    }
}

/// A value as a literal of the set's type: the bits, read as the signed
/// type when it is one (`-2147483648` for bit 31 of an `i32`).
fn literal(set: &FlagSet, bits: u64) -> String {
    let width = set.ty.fixed_bits().unwrap_or(64);
    if set.ty.is_signed() {
        let shift = 64 - width;
        (((bits << shift) as i64) >> shift).to_string()
    } else {
        format!("{bits:#x}")
    }
}

/// Every flag set of the spec.
pub(super) fn write(spec: &Spec, out: &mut String) {
    let names = CNames::new(spec);
    for set in &spec.flags {
        let ty = scalar_type(set.ty);
        let name = rust_ident(&set.name);
        if let Some(d) = &set.doc {
            doc(out, "", d);
            out.push_str("///\n");
        }
        let what = match set.kind {
            FlagKind::Bits => format!(
                "A set of `{}*` bits (`{}`). Bits without a name here are kept, never dropped:\n\
                 a newer peer may set them. `!` flips every bit of the type, named or not;\n\
                 `& {name}::all()` keeps the named ones.",
                set.prefix, set.ty
            ),
            FlagKind::Enum => format!(
                "One of the `{}*` values (`{}`), or a value without a name here, which is kept:\n\
                 a newer peer may use it.",
                set.prefix, set.ty
            ),
        };
        doc(out, "", &what);
        out.push_str("#[repr(transparent)]\n");
        out.push_str("#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]\n");
        out.push_str("#[allow(non_camel_case_types)]\n");
        let _ = writeln!(out, "pub struct {name}({ty});\n");
        out.push_str("#[allow(non_upper_case_globals)]\n");
        let _ = writeln!(out, "impl {name} {{");
        let mut all = 0u64;
        for v in &set.values {
            let mut text = v.doc.clone().unwrap_or_default();
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            let _ = write!(
                text,
                "`{}` ({}); since version {}.",
                names.flag_value(set, v),
                literal(set, v.value),
                v.since
            );
            if v.retired {
                text.push_str(" Retired: never used, never given to another value.");
            } else {
                all |= v.value;
            }
            doc(out, "    ", &text);
            let _ = writeln!(
                out,
                "    pub const {}: Self = Self({});",
                rust_ident(&v.name),
                literal(set, v.value)
            );
        }
        let _ = writeln!(
            out,
            "\n    /// The value with exactly these bits, named or not.\n    #[inline]\n    pub const fn from_bits_retain(bits: {ty}) -> Self {{\n        Self(bits)\n    }}\n\n    /// The bits, named or not.\n    #[inline]\n    pub const fn bits(self) -> {ty} {{\n        self.0\n    }}"
        );
        match set.kind {
            FlagKind::Bits => bits_methods(set, &name, ty, all, out),
            FlagKind::Enum => enum_methods(set, &name, out),
        }
    }
}

fn bits_methods(set: &FlagSet, name: &str, ty: &str, all: u64, out: &mut String) {
    let all = literal(set, all);
    let _ = writeln!(
        out,
        "
    /// No bit set.
    #[inline]
    pub const fn empty() -> Self {{
        Self(0)
    }}

    /// Every named value but the retired ones.
    #[inline]
    pub const fn all() -> Self {{
        Self({all})
    }}

    /// The value with these bits when every one of them is named, else `None`.
    #[inline]
    pub const fn from_bits(bits: {ty}) -> ::core::option::Option<Self> {{
        if bits & !Self::all().0 == 0 {{
            ::core::option::Option::Some(Self(bits))
        }} else {{
            ::core::option::Option::None
        }}
    }}

    /// True when no bit is set.
    #[inline]
    pub const fn is_empty(self) -> bool {{
        self.0 == 0
    }}

    /// True when every named value is set.
    #[inline]
    pub const fn is_all(self) -> bool {{
        self.0 & Self::all().0 == Self::all().0
    }}

    /// True when every bit of `other` is set in `self`.
    #[inline]
    pub const fn contains(self, other: Self) -> bool {{
        self.0 & other.0 == other.0
    }}

    /// True when `self` and `other` share a bit.
    #[inline]
    pub const fn intersects(self, other: Self) -> bool {{
        self.0 & other.0 != 0
    }}

    /// The bits of either.
    #[inline]
    pub const fn union(self, other: Self) -> Self {{
        Self(self.0 | other.0)
    }}

    /// The bits of both.
    #[inline]
    pub const fn intersection(self, other: Self) -> Self {{
        Self(self.0 & other.0)
    }}

    /// The bits of `self` that `other` does not have.
    #[inline]
    pub const fn difference(self, other: Self) -> Self {{
        Self(self.0 & !other.0)
    }}

    /// Sets the bits of `other`.
    #[inline]
    pub fn insert(&mut self, other: Self) {{
        self.0 |= other.0;
    }}

    /// Clears the bits of `other`.
    #[inline]
    pub fn remove(&mut self, other: Self) {{
        self.0 &= !other.0;
    }}

    /// Flips the bits of `other`.
    #[inline]
    pub fn toggle(&mut self, other: Self) {{
        self.0 ^= other.0;
    }}
}}
"
    );
    for (op, method, expr) in [
        ("BitOr", "bitor", "self.0 | rhs.0"),
        ("BitAnd", "bitand", "self.0 & rhs.0"),
        ("BitXor", "bitxor", "self.0 ^ rhs.0"),
        ("Sub", "sub", "self.0 & !rhs.0"),
    ] {
        let _ = writeln!(
            out,
            "impl ::core::ops::{op} for {name} {{\n    type Output = Self;\n    #[inline]\n    fn {method}(self, rhs: Self) -> Self {{\n        Self({expr})\n    }}\n}}\n"
        );
        let _ = writeln!(
            out,
            "impl ::core::ops::{op}Assign for {name} {{\n    #[inline]\n    fn {method}_assign(&mut self, rhs: Self) {{\n        *self = Self({expr});\n    }}\n}}\n"
        );
    }
    let _ = writeln!(
        out,
        "impl ::core::ops::Not for {name} {{\n    type Output = Self;\n    #[inline]\n    fn not(self) -> Self {{\n        Self(!self.0)\n    }}\n}}\n"
    );
    // `Debug`: the names of the named bits, then the others in hex.
    let _ = writeln!(
        out,
        "impl ::core::fmt::Debug for {name} {{\n    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{\n        f.write_str(\"{}(\")?;\n        let mut rest = self.0;\n        let mut first = true;",
        set.name
    );
    for v in set.values.iter().filter(|v| v.value != 0) {
        let _ = writeln!(
            out,
            "        if self.0 & {lit} == {lit} && rest & {lit} != 0 {{\n            if !first {{\n                f.write_str(\" | \")?;\n            }}\n            f.write_str(\"{}\")?;\n            rest &= !{lit};\n            first = false;\n        }}",
            v.name,
            lit = literal(set, v.value)
        );
    }
    let _ = writeln!(
        out,
        "        if rest != 0 || first {{\n            if !first {{\n                f.write_str(\" | \")?;\n            }}\n            ::core::write!(f, \"{{:#x}}\", rest)?;\n        }}\n        f.write_str(\")\")\n    }}\n}}\n"
    );
}

fn enum_methods(set: &FlagSet, name: &str, out: &mut String) {
    let _ = writeln!(
        out,
        "\n    /// The value's name without the prefix (`{}`...), or `None` for a value\n    /// without a name here.\n    pub const fn name(self) -> ::core::option::Option<&'static str> {{\n        match self.0 {{",
        set.values.first().map_or("", |v| v.name.as_str())
    );
    for v in &set.values {
        let _ = writeln!(
            out,
            "            {} => ::core::option::Option::Some(\"{}\"),",
            literal(set, v.value),
            v.name
        );
    }
    let _ = writeln!(
        out,
        "            _ => ::core::option::Option::None,\n        }}\n    }}\n\n    /// True when the value has a name here.\n    #[inline]\n    pub const fn is_known(self) -> bool {{\n        self.name().is_some()\n    }}\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl ::core::fmt::Debug for {name} {{\n    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{\n        match self.name() {{\n            ::core::option::Option::Some(n) => ::core::write!(f, \"{}::{{}}\", n),\n            ::core::option::Option::None => ::core::write!(f, \"{}({{}})\", self.0),\n        }}\n    }}\n}}\n",
        set.name, set.name
    );
}
